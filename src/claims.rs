//! The wire vocabulary every layer shares: the token kinds, the names of the
//! registered claims, how a numeric date is read, and the one clock.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::Value;

/// The two kinds of token Flask-JWT-Extended issues, told apart by the `type` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Reaches routes behind [`JwtRequired`](crate::JwtRequired). A token without a
    /// `type` claim (for example one from another issuer) counts as an access token.
    Access,
    /// Reaches only routes behind [`RefreshRequired`](crate::RefreshRequired), to mint
    /// new access tokens.
    Refresh,
}

impl TokenKind {
    /// The value of the `type` claim: `"access"` or `"refresh"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }

    /// The kind a payload declares: `"type": "access"` or no `type` (as
    /// Flask-JWT-Extended reads it) is an access token, `"type": "refresh"` a
    /// refresh token; any other value (`"ACCESS"`, `null`, a list) is none.
    pub(crate) fn of(claim: Option<&Value>) -> Option<Self> {
        match claim {
            None => Some(Self::Access),
            Some(Value::String(kind)) if kind == "access" => Some(Self::Access),
            Some(Value::String(kind)) if kind == "refresh" => Some(Self::Refresh),
            Some(_) => None,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity claim's default name (Flask's `JWT_IDENTITY_CLAIM`).
pub(crate) const SUB: &str = "sub";
pub(crate) const TYPE: &str = "type";
pub(crate) const FRESH: &str = "fresh";
pub(crate) const JTI: &str = "jti";
pub(crate) const IAT: &str = "iat";
pub(crate) const NBF: &str = "nbf";
pub(crate) const EXP: &str = "exp";
pub(crate) const CSRF: &str = "csrf";
pub(crate) const AUD: &str = "aud";
pub(crate) const ISS: &str = "iss";
/// The rotation family of tokens from `JwtManager::create_token_pair`.
pub(crate) const FAMILY: &str = "fam";

/// Claims that only the token builder itself may write.
pub(crate) const RESERVED: [&str; 8] = [TYPE, FRESH, JTI, IAT, NBF, EXP, CSRF, FAMILY];

/// The time a manager reads: the system clock, or a test clock
/// (`test::TestClock`) where one is set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    /// A test clock's state (see [`TestClockState`]).
    test: Option<Arc<AtomicU64>>,
}

/// A test clock in one atomic word, so that no reader sees half an update:
/// the top bit says whether the clock is stopped; the rest is the time
/// since the epoch in milliseconds when it is, else how far ahead of the
/// system clock it runs.
struct TestClockState;

impl TestClockState {
    const STOPPED: u64 = 1 << 63;

    /// The state of a clock stopped at `ms` (the latest it can show, if later).
    fn stopped_at(ms: u64) -> u64 {
        ms.min(!Self::STOPPED) | Self::STOPPED
    }

    fn now(state: u64) -> Duration {
        let ms = Duration::from_millis(state & !Self::STOPPED);
        if state & Self::STOPPED != 0 {
            ms
        } else {
            now().saturating_add(ms)
        }
    }
}

impl Clock {
    /// Time since the Unix epoch.
    pub(crate) fn now(&self) -> Duration {
        self.test.as_ref().map_or_else(now, |state| {
            TestClockState::now(state.load(Ordering::Relaxed))
        })
    }

    /// [`now`](Self::now) in milliseconds.
    pub(crate) fn now_ms(&self) -> i64 {
        i64::try_from(self.now().as_millis()).unwrap_or(i64::MAX)
    }

    /// [`now`](Self::now) in whole seconds.
    pub(crate) fn now_secs(&self) -> i64 {
        i64::try_from(self.now().as_secs()).unwrap_or(i64::MAX)
    }

    /// Returns once the clock reads a later millisecond than `ms`. The
    /// system clock (and a test clock running with it) is waited for, with a
    /// plain sleep, which needs no particular async runtime (callers wait a
    /// millisecond at most). A stopped test clock would never get there: it
    /// is moved on to that millisecond, as time would have passed. (A test
    /// clock, once stopped, never runs again.)
    pub(crate) fn wait_past_ms(&self, ms: i64) {
        let next = u64::try_from(ms.saturating_add(1)).unwrap_or(0);
        if let Some(state) = &self.test
            && state.load(Ordering::Relaxed) & TestClockState::STOPPED != 0
        {
            state.fetch_max(TestClockState::stopped_at(next), Ordering::Relaxed);
            return;
        }
        // `ms` at the end of time: no later millisecond to wait for.
        while ms < i64::MAX && self.now_ms() <= ms {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

/// A clock for one manager that a test moves
/// ([`JwtManagerBuilder::clock`](crate::manager::JwtManagerBuilder::clock)):
/// the system time plus whatever [`advance`](Self::advance) added, or,
/// [`stopped_at`](Self::stopped_at) a given time, a clock that moves only
/// when the test moves it, for checks at the exact boundary millisecond.
/// Tokens the manager mints are dated by it, and their expiry, `nbf`, `iat`
/// and freshness are checked by it. Clones share one clock.
#[cfg(feature = "test-util")]
#[derive(Debug, Clone, Default)]
pub struct TestClock {
    state: Arc<AtomicU64>,
}

#[cfg(feature = "test-util")]
impl TestClock {
    /// A clock at the system time, running with it.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock stopped at `since_epoch` (to the millisecond): it moves only
    /// with [`advance`](Self::advance) and [`set`](Self::set).
    pub fn stopped_at(since_epoch: Duration) -> Self {
        let clock = Self::new();
        clock.set(since_epoch);
        clock
    }

    /// Stops the clock at `since_epoch` (to the millisecond), earlier or
    /// later than it was.
    pub fn set(&self, since_epoch: Duration) {
        let ms = u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX);
        self.state
            .store(TestClockState::stopped_at(ms), Ordering::Relaxed);
    }

    /// Moves the clock forward by `by` (to the millisecond).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |state| {
                let flag = state & TestClockState::STOPPED;
                let ms = (state & !TestClockState::STOPPED).saturating_add(by);
                Some(ms.min(!TestClockState::STOPPED) | flag)
            })
            .ok();
    }

    /// How far ahead of the system time the clock is (zero for a stopped
    /// clock behind it).
    pub fn ahead(&self) -> Duration {
        let state = self.state.load(Ordering::Relaxed);
        if state & TestClockState::STOPPED != 0 {
            TestClockState::now(state).saturating_sub(now())
        } else {
            Duration::from_millis(state)
        }
    }

    pub(crate) fn clock(&self) -> Clock {
        Clock {
            test: Some(Arc::clone(&self.state)),
        }
    }
}

/// The system clock: time since the Unix epoch (zero if the system clock is
/// before it).
pub(crate) fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

/// The last second of the year 9999 (UTC): the latest `exp`, fresh-until or
/// revocation date this crate writes. Past it, dates stop being dates (Redis
/// refuses them, `Duration` arithmetic overflows).
pub(crate) const LAST_DATE: i64 = 253_402_300_799;

/// The date `duration` after `from` (both since the epoch); `None` past
/// [`LAST_DATE`].
pub(crate) fn date_after(from: Duration, duration: Duration) -> Option<Duration> {
    from.checked_add(duration)
        .filter(|date| date.as_secs() <= LAST_DATE as u64)
}

/// [`now`] in milliseconds, as "log out everywhere" cut-offs count.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(now().as_millis()).unwrap_or(i64::MAX)
}

/// [`now`] in whole seconds, as stores and `exp` claims count.
pub(crate) fn now_secs() -> i64 {
    i64::try_from(now().as_secs()).unwrap_or(i64::MAX)
}

/// A new `jti`: a UUIDv7 carrying `issued` (time since the epoch) to the
/// millisecond, which orders tokens issued within one `iat` second.
pub(crate) fn new_jti(issued: Duration) -> uuid::Uuid {
    let timestamp =
        uuid::Timestamp::from_unix(uuid::NoContext, issued.as_secs(), issued.subsec_nanos());
    uuid::Uuid::new_v7(timestamp)
}

/// When a token was issued, in milliseconds since the epoch: the time in its
/// `jti` when that is a UUIDv7 of its `iat` second (tokens of this crate),
/// else the last millisecond of that second (Flask's `jti` is a UUIDv4).
pub(crate) fn issued_at_ms(iat: i64, jti: Option<&str>) -> i64 {
    let last = iat.saturating_mul(1000).saturating_add(999);
    let stamped = jti
        .and_then(|jti| uuid::Uuid::try_parse(jti).ok())
        .filter(|uuid| uuid.get_version_num() == 7)
        .and_then(|uuid| uuid.get_timestamp())
        .map(|timestamp| timestamp.to_unix());
    match stamped {
        Some((seconds, nanos)) if i64::try_from(seconds) == Ok(iat) => {
            iat * 1000 + i64::from(nanos / 1_000_000)
        }
        _ => last,
    }
}

/// A JSON number read as PyJWT's `int(value)` does: truncated toward zero.
pub(crate) fn numeric_date(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64().map(f64::trunc),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `wait` on a thread of its own: whether it returned within ten
    /// seconds (a wait that never ends fails the test instead of hanging it).
    fn returns(wait: impl FnOnce() + Send + 'static) -> bool {
        let (done, returned) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            wait();
            let _ = done.send(());
        });
        returned.recv_timeout(Duration::from_secs(10)).is_ok()
    }

    #[test]
    fn waiting_past_a_millisecond_waits_for_the_system_clock() {
        let clock = Clock::default();
        let ms = clock.now_ms() + 30;
        assert!(returns(move || Clock::default().wait_past_ms(ms)));
        assert!(clock.now_ms() > ms);
        // At the end of time there is no later millisecond: no wait.
        assert!(returns(|| Clock::default().wait_past_ms(i64::MAX)));
    }

    #[cfg(feature = "test-util")]
    #[test]
    fn waiting_past_a_millisecond_moves_a_stopped_test_clock_and_only_forward() {
        let test = TestClock::stopped_at(Duration::from_millis(5_000));
        let clock = test.clock();
        assert!(returns({
            let clock = clock.clone();
            move || clock.wait_past_ms(5_000)
        }));
        assert_eq!(clock.now_ms(), 5_001);
        clock.wait_past_ms(4_000);
        clock.wait_past_ms(-1);
        assert_eq!(clock.now_ms(), 5_001);
        clock.wait_past_ms(5_010);
        assert_eq!(clock.now_ms(), 5_011);
        clock.wait_past_ms(i64::MAX);
        assert_eq!(clock.now_ms(), i64::MAX);
        // Stopped past what a clock can show: at the latest it can.
        assert_eq!(
            TestClock::stopped_at(Duration::MAX).clock().now_ms(),
            i64::MAX
        );
    }

    #[cfg(feature = "test-util")]
    #[test]
    fn waiting_past_a_millisecond_leaves_a_running_test_clock_running() {
        let test = TestClock::new();
        test.advance(Duration::from_secs(1_000));
        let clock = test.clock();
        let ms = clock.now_ms() + 30;
        assert!(returns({
            let clock = clock.clone();
            move || clock.wait_past_ms(ms)
        }));
        assert!(clock.now_ms() > ms);
        std::thread::sleep(Duration::from_millis(5));
        assert!(clock.now_ms() > ms + 1, "the clock stopped");
        // Advanced to the end of time, it reads i64::MAX for good.
        test.advance(Duration::MAX);
        assert!(returns(move || clock.wait_past_ms(clock.now_ms())));
    }

    #[test]
    fn numeric_dates_truncate_like_python_int() {
        assert_eq!(numeric_date(&serde_json::json!(1.9)), Some(1.0));
        assert_eq!(numeric_date(&serde_json::json!(-1.9)), Some(-1.0));
        assert_eq!(numeric_date(&serde_json::json!("1")), None);
        assert_eq!(numeric_date(&serde_json::json!(true)), None);
    }

    #[test]
    fn a_v7_jti_orders_tokens_within_their_second() {
        let issued = Duration::from_millis(1_700_000_000_123);
        let jti = new_jti(issued).to_string();
        assert_eq!(issued_at_ms(1_700_000_000, Some(&jti)), 1_700_000_000_123);
        // Another second than iat's, a UUIDv4, or no jti: the end of the iat second.
        assert_eq!(issued_at_ms(1_700_000_001, Some(&jti)), 1_700_000_001_999);
        let v4 = uuid::Uuid::new_v4().to_string();
        assert_eq!(issued_at_ms(1_700_000_000, Some(&v4)), 1_700_000_000_999);
        assert_eq!(issued_at_ms(1_700_000_000, Some("x")), 1_700_000_000_999);
        assert_eq!(issued_at_ms(i64::MAX, None), i64::MAX);
    }

    #[test]
    fn token_types_are_explicit() {
        use serde_json::json;
        let kind = |claims: Value| TokenKind::of(claims.as_object().unwrap().get(TYPE));
        assert_eq!(kind(json!({"type": "refresh"})), Some(TokenKind::Refresh));
        assert_eq!(kind(json!({"type": "access"})), Some(TokenKind::Access));
        assert_eq!(kind(json!({})), Some(TokenKind::Access));
        let others = [
            json!("ACCESS"),
            json!("Refresh"),
            json!("id_token"),
            json!(null),
            json!(["refresh"]),
            json!(1),
            json!(""),
        ];
        for other in others {
            assert_eq!(kind(json!({ "type": other })), None, "{other}");
        }
    }
}
