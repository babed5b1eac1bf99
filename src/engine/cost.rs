//! The cost meter: what a destination has cost so far, from its record and the pricing table.
