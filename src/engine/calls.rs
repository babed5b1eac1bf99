//! How the engine calls AWS: retry what is safe to retry, and wait for transitional states with
//! a poll that backs off. The SDK backend retries throttling itself too; this layer makes the
//! engine behave the same on any backend (the simulator throttles like AWS does).

use crate::cloud::{Channel, ChannelState, CloudError, ErrorKind, Input, InputState, MediaLive};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

const ATTEMPTS: u32 = 4;
/// Throttling is the account's 5 calls/s shared by every task: many destinations at once (a
/// bulk add) outlast 4 tries, so throttled calls get more, with longer pauses.
const THROTTLED_ATTEMPTS: u32 = 10;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
const POLL_FIRST: Duration = Duration::from_millis(500);
const POLL_MAX: Duration = Duration::from_secs(5);

/// Runs `call` until it succeeds, fails with a non-retryable error, or has been tried 4 times
/// (10 when throttled), pausing about 0.5 s, 1 s, 2 s, … (at most 8 s) between tries.
/// `on_retry` hears about each retried failure.
///
/// Each pause is jittered (half fixed, half random): without it, tasks throttled together
/// retry together and are throttled together again, until they run out of tries.
pub(crate) async fn retrying<T, F, Fut>(
    call: F,
    on_retry: impl FnMut(&CloudError, u32),
) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    retrying_n(ATTEMPTS, call, on_retry).await
}

/// [`retrying`] with a number of attempts: 1 where the backend retries by itself (the AWS SDK's
/// adaptive retry), so a dead endpoint isn't tried 4 × 5 times.
pub(crate) async fn retrying_n<T, F, Fut>(
    attempts: u32,
    mut call: F,
    mut on_retry: impl FnMut(&CloudError, u32),
) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match call().await {
            // A backend that retries by itself (attempts = 1) gets no second layer of retries.
            Err(e) if e.is_retryable() && attempts > 1 && attempt < attempts_for(&e) => {
                on_retry(&e, attempt);
                let half = backoff / 2;
                tokio::time::sleep(half + half.mul_f64(rand::random::<f64>())).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn attempts_for(e: &CloudError) -> u32 {
    if e.kind == ErrorKind::Throttled {
        THROTTLED_ATTEMPTS
    } else {
        ATTEMPTS
    }
}

/// What a wait ends on.
pub(crate) enum Wanted {
    Channel(ChannelState),
    /// DELETED, or gone from the API altogether.
    ChannelGone,
}

/// Polls DescribeChannel until the channel is in the wanted state. Fails on a state the wait
/// can't end in (e.g. CREATE_FAILED, or IDLE again while waiting for RUNNING) and on timeout.
pub(crate) async fn wait_for_channel(
    ml: &dyn MediaLive,
    channel_id: &str,
    wanted: Wanted,
    timeout: Duration,
) -> Result<Option<Channel>, CloudError> {
    let deadline = Instant::now() + timeout;
    let mut pause = POLL_FIRST;
    loop {
        let described = retrying(|| ml.describe_channel(channel_id), |_, _| {}).await;
        match (&wanted, described) {
            (Wanted::ChannelGone, Err(e)) if e.is_not_found() => return Ok(None),
            (_, Err(e)) => return Err(e),
            (Wanted::ChannelGone, Ok(c)) if c.state == ChannelState::Deleted => return Ok(None),
            (Wanted::Channel(state), Ok(c)) if c.state == *state => return Ok(Some(c)),
            (Wanted::Channel(state), Ok(c)) if !c.state.is_transitional() => {
                return Err(CloudError::new(
                    "DescribeChannel",
                    ErrorKind::Other,
                    format!(
                        "channel {channel_id} is {} instead of {}",
                        c.state.as_aws(),
                        state.as_aws()
                    ),
                ));
            }
            (_, Ok(_)) => {}
        }
        if Instant::now() >= deadline {
            return Err(CloudError::new(
                "DescribeChannel",
                ErrorKind::Timeout,
                format!(
                    "channel {channel_id} did not settle in {} s",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL_MAX);
    }
}

/// Polls DescribeInput until the input is in `wanted`; `Ok(None)` when it does not exist.
pub(crate) async fn wait_for_input(
    ml: &dyn MediaLive,
    input_id: &str,
    wanted: InputState,
    timeout: Duration,
) -> Result<Option<Input>, CloudError> {
    let deadline = Instant::now() + timeout;
    let mut pause = POLL_FIRST;
    loop {
        match retrying(|| ml.describe_input(input_id), |_, _| {}).await {
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
            Ok(i) if i.state == wanted => return Ok(Some(i)),
            Ok(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(CloudError::new(
                "DescribeInput",
                ErrorKind::Timeout,
                format!(
                    "input {input_id} did not become {} in {} s",
                    wanted.as_aws(),
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL_MAX);
    }
}

/// What the watch saw last: every listed channel's state, or why the list failed.
type Listing = Option<Result<Arc<HashMap<String, ChannelState>>, CloudError>>;

/// Waits for many channels with one ListChannels a round instead of one DescribeChannel per
/// channel: a batch of 20 starting together costs a call every few seconds, not 20, out of the
/// account's 5 a second that every tool shares. The poll stops when the last waiter is gone.
#[derive(Clone)]
pub(crate) struct ChannelWatch {
    seen: watch::Receiver<Listing>,
}

impl ChannelWatch {
    pub(crate) fn spawn(ml: Arc<dyn MediaLive>) -> Self {
        let (tx, seen) = watch::channel(None);
        tokio::spawn(async move {
            let mut pause = POLL_FIRST;
            loop {
                tokio::time::sleep(pause).await;
                if tx.is_closed() {
                    return;
                }
                let listed = retrying(|| ml.list_channels(), |_, _| {})
                    .await
                    .map(|channels| {
                        Arc::new(channels.into_iter().map(|c| (c.id, c.state)).collect())
                    });
                if tx.send(Some(listed)).is_err() {
                    return;
                }
                pause = (pause * 2).min(POLL_MAX);
            }
        });
        Self { seen }
    }

    /// Like [`wait_for_channel`] for one wanted state: ends on it, fails on a state the wait
    /// can't end in, on a channel gone from the list, on a failed list and on timeout.
    pub(crate) async fn wait(
        &self,
        channel_id: &str,
        wanted: ChannelState,
        timeout: Duration,
    ) -> Result<(), CloudError> {
        let mut seen = self.seen.clone();
        let waited = tokio::time::timeout(timeout, async {
            loop {
                if seen.changed().await.is_err() {
                    return Err(CloudError::new(
                        "ListChannels",
                        ErrorKind::Other,
                        "the channel watch stopped",
                    ));
                }
                let listing = seen.borrow_and_update().clone();
                let states = match listing {
                    Some(Ok(states)) => states,
                    Some(Err(e)) => return Err(e),
                    None => continue,
                };
                match states.get(channel_id) {
                    Some(state) if *state == wanted => return Ok(()),
                    Some(state) if state.is_transitional() => {}
                    Some(state) => {
                        return Err(CloudError::new(
                            "ListChannels",
                            ErrorKind::Other,
                            format!(
                                "channel {channel_id} is {} instead of {}",
                                state.as_aws(),
                                wanted.as_aws()
                            ),
                        ));
                    }
                    None => {
                        return Err(CloudError::new(
                            "ListChannels",
                            ErrorKind::NotFound,
                            format!("channel {channel_id} is gone"),
                        ));
                    }
                }
            }
        })
        .await;
        waited.unwrap_or_else(|_| {
            Err(CloudError::new(
                "ListChannels",
                ErrorKind::Timeout,
                format!(
                    "channel {channel_id} did not settle in {} s",
                    timeout.as_secs()
                ),
            ))
        })
    }
}
