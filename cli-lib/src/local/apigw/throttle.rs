//! Stage and method throttling: one token bucket per stage and method,
//! holding at most the burst, refilled at the rate per second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::spec::Throttle;

/// A token bucket, full when created.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate_per_second: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(limits: Throttle, now: Instant) -> TokenBucket {
        TokenBucket {
            rate_per_second: limits.rate_per_second.max(0.0),
            capacity: f64::from(limits.burst),
            tokens: f64::from(limits.burst),
            last: now,
        }
    }

    /// Takes one token if there is one at `now`.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate_per_second).min(self.capacity);
        self.last = now.max(self.last);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The buckets of one API, by (stage, resource path, HTTP method).
#[derive(Default)]
pub struct Throttles {
    buckets: Mutex<HashMap<(String, String, String), TokenBucket>>,
}

impl Throttles {
    /// Whether one more request of this stage and method may pass now.
    pub fn admit(
        &self,
        stage: &str,
        resource_path: &str,
        http_method: &str,
        limits: Throttle,
    ) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets
            .entry((
                stage.to_owned(),
                resource_path.to_owned(),
                http_method.to_owned(),
            ))
            .or_insert_with(|| TokenBucket::new(limits, now))
            .try_take(now)
    }
}
