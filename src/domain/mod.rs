//! The vocabulary of onair: destinations, platforms, encoder presets, pricing and the rules a
//! destination must satisfy. Nothing here knows about AWS SDKs or the terminal.

pub mod destination;
pub mod naming;
pub mod platform;
pub mod presets;
pub mod schedule;
pub mod secret;
pub mod text;
pub mod unreadable;
pub mod validate;
pub mod when;
pub mod wiring;

pub use destination::{Desired, Destination, DestinationId, Status};
pub use platform::Platform;
pub use presets::{Catalog, EncoderPreset, Pricing};
pub use schedule::{ScheduleKind, ScheduleRef};
pub use secret::{SealedKey, StoredKey, StreamKey};
pub use text::for_terminal;
pub use unreadable::UnreadableRecord;
pub use validate::{DestinationDraft, DraftChanges, FieldError, ValidDestination};
pub use wiring::Wiring;
