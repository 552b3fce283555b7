//! The dead-man alarm of a scheduled function: how CloudWatch can tell that
//! a function run by `rate(..)` has not run for twice its period. Shared by
//! the macro's `dead-man` rule and the synthesizer, so that what compiles is
//! what CloudWatch accepts.

/// CloudWatch evaluates an alarm over at most 7 days, and over at most one
/// day when its period is shorter than an hour.
const MAX_RANGE_SECS: u32 = 7 * 86_400;
const SHORT_PERIOD_MAX_RANGE_SECS: u32 = 86_400;
/// The longest period the alarm uses: one day.
const MAX_PERIOD_SECS: u32 = 86_400;

/// How the dead-man alarm evaluates Invocations: `evaluation_periods`
/// periods of `period_secs`, every one of them without an invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub period_secs: u32,
    pub evaluation_periods: u32,
}

impl Window {
    /// The whole span evaluated, in seconds.
    pub fn range_secs(self) -> u32 {
        self.period_secs * self.evaluation_periods
    }
}

/// Seconds between runs of `rate(N unit)`; `None` for a cron expression or
/// anything else.
pub fn rate_secs(schedule: &str) -> Option<u32> {
    let inner = schedule.strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.split_once(' ')?;
    let count: u32 = count.parse().ok()?;
    let unit_secs = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        _ => return None,
    };
    count.checked_mul(unit_secs)
}

/// The window of the dead-man alarm of `schedule`: twice its rate, in one
/// period when that fits a day, otherwise in hour- or day-long periods.
/// The error says why CloudWatch could not evaluate it and what to write.
pub fn window(schedule: &str) -> Result<Window, String> {
    let Some(rate) = rate_secs(schedule) else {
        return Err(format!(
            "the dead-man alarm of `schedule: {schedule:?}` watches twice its period, which only `rate(..)` states; write the schedule as `rate(N minutes|hours|days)`"
        ));
    };
    let range = rate
        .checked_mul(2)
        .filter(|range| *range <= MAX_RANGE_SECS)
        .ok_or_else(|| {
            format!(
                "the dead-man alarm of `schedule: {schedule:?}` would watch {} days, more than the 7 CloudWatch evaluates; run it at least every 3 days",
                u64::from(rate) * 2 / 86_400
            )
        })?;
    if range <= SHORT_PERIOD_MAX_RANGE_SECS {
        return Ok(Window {
            period_secs: range,
            evaluation_periods: 1,
        });
    }
    // Longer than a day: periods of at least an hour, dividing the range.
    let period = [MAX_PERIOD_SECS, 3_600]
        .into_iter()
        .find(|period| range % period == 0)
        .ok_or_else(|| {
            format!(
                "the dead-man alarm of `schedule: {schedule:?}` watches {range}s, which CloudWatch can only evaluate in whole hours beyond a day; use a rate in hours or days"
            )
        })?;
    Ok(Window {
        period_secs: period,
        evaluation_periods: range / period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hourly_schedule_is_watched_over_two_hours_in_one_period() {
        assert_eq!(
            window("rate(1 hour)"),
            Ok(Window {
                period_secs: 7_200,
                evaluation_periods: 1
            })
        );
        assert_eq!(window("rate(5 minutes)").unwrap().range_secs(), 600);
    }

    #[test]
    fn beyond_a_day_the_window_is_cut_into_periods_cloudwatch_takes() {
        let daily = window("rate(1 day)").unwrap();
        assert_eq!((daily.period_secs, daily.evaluation_periods), (86_400, 2));
        let thirteen = window("rate(13 hours)").unwrap();
        assert_eq!(
            (thirteen.period_secs, thirteen.evaluation_periods),
            (3_600, 26)
        );
        // 2 × 1000 minutes is not a whole number of hours.
        assert!(
            window("rate(1000 minutes)")
                .unwrap_err()
                .contains("whole hours")
        );
    }

    #[test]
    fn cron_and_too_long_rates_are_refused_with_what_to_write() {
        assert!(window("cron(0 12 * * ? *)").unwrap_err().contains("rate("));
        assert!(window("rate(4 days)").unwrap_err().contains("7"));
        assert!(window("rate(3 days)").is_ok());
    }
}
