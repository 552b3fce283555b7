//! Scheduled rules: `rate(N minute|minutes|hour|hours|day|days)` and
//! AWS's six-field `cron(minutes hours day-of-month month day-of-week
//! year)`, in UTC, with `,` `-` `*` `/`, `?` (one of the two day fields
//! must be `?`), `L` (last day of the month; in day-of-week, `5L` is the
//! last Thursday), `W` (`15W`: the weekday nearest the 15th; `LW`: the last
//! weekday) and `#` (`3#2`: the second Tuesday). Day-of-week counts 1-7
//! from Sunday (or SUN-SAT); months 1-12 (or JAN-DEC).
//!
//! A scheduled rule fires its targets with the Scheduled Event; a rate
//! first fires one rate after the scheduler starts, as EventBridge roughly
//! does; a cron at each matching minute.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::rules::{EventRouter, Rule};
use super::{civil_from_days, days_from_civil};

/// A parsed schedule expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    Rate(Duration),
    Cron(Box<Cron>),
}

/// A parsed `cron(...)` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Days,
    months: Vec<bool>,
    /// Years from 1970.
    years: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
enum Days {
    OfMonth(Vec<DomItem>),
    OfWeek(Vec<DowItem>),
}

#[derive(Clone, Debug, PartialEq)]
enum DomItem {
    Set(Vec<bool>),
    Last,
    LastWeekday,
    NearestWeekday(u32),
}

#[derive(Clone, Debug, PartialEq)]
enum DowItem {
    /// Indexed 1 (Sunday) to 7 (Saturday).
    Set(Vec<bool>),
    Last(u32),
    Nth(u32, u32),
}

const FIRST_YEAR: i64 = 1970;
const LAST_YEAR: i64 = 2199;
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    /// Parses a rule's `ScheduleExpression`.
    pub fn parse(expression: &str) -> anyhow::Result<Schedule> {
        let expression = expression.trim();
        if let Some(body) = expression
            .strip_prefix("rate(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return parse_rate(body.trim()).map(Schedule::Rate);
        }
        if let Some(body) = expression
            .strip_prefix("cron(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return parse_cron(body).map(|c| Schedule::Cron(Box::new(c)));
        }
        anyhow::bail!(
            "schedule expression {expression:?} is neither rate(N unit) nor cron(minutes hours day-of-month month day-of-week year)"
        )
    }

    /// The first time after `after` this schedule fires: for a rate, one
    /// rate later; for a cron, the next matching minute.
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        match self {
            Schedule::Rate(rate) => Some(after + *rate),
            Schedule::Cron(cron) => cron.next_after(after),
        }
    }
}

/// The first time after `after` that `expression` fires (`None` if it
/// does not parse or never fires again).
pub fn next_fire(expression: &str, after: SystemTime) -> Option<SystemTime> {
    Schedule::parse(expression).ok()?.next_after(after)
}

fn parse_rate(body: &str) -> anyhow::Result<Duration> {
    let usage = "rate takes a positive whole number and a unit: rate(1 minute), rate(5 minutes), rate(1 hour), rate(2 days)";
    let (n, unit) = body
        .split_once(char::is_whitespace)
        .ok_or_else(|| anyhow::anyhow!("rate({body}): {usage}"))?;
    let n: u64 = n
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| anyhow::anyhow!("rate({body}): {usage}"))?;
    let unit = unit.trim();
    let seconds = match unit {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => anyhow::bail!("rate({body}): {usage}"),
    };
    if (n == 1) == unit.ends_with('s') {
        anyhow::bail!("rate({body}): the unit is singular for 1 and plural otherwise ({usage})");
    }
    Ok(Duration::from_secs(n * seconds))
}

fn parse_cron(body: &str) -> anyhow::Result<Cron> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    if fields.len() != 6 {
        anyhow::bail!(
            "cron({body}) has {} fields; AWS takes six: minutes hours day-of-month month day-of-week year",
            fields.len()
        );
    }
    let ctx = |name: &str, e: anyhow::Error| anyhow::anyhow!("cron({body}), {name}: {e:#}");
    let minutes = parse_set(fields[0], 0, 59, &[]).map_err(|e| ctx("minutes", e))?;
    let hours = parse_set(fields[1], 0, 23, &[]).map_err(|e| ctx("hours", e))?;
    let months = parse_set(fields[3], 1, 12, &MONTHS).map_err(|e| ctx("month", e))?;
    let years = parse_set(fields[5], FIRST_YEAR as u32, LAST_YEAR as u32, &[])
        .map_err(|e| ctx("year", e))?;
    let years = years[FIRST_YEAR as usize..].to_vec();
    let days = match (fields[2], fields[4]) {
        ("?", "?") => {
            anyhow::bail!("cron({body}): only one of day-of-month and day-of-week may be ?")
        }
        (dom, "?") => Days::OfMonth(parse_dom(dom).map_err(|e| ctx("day-of-month", e))?),
        ("?", dow) => Days::OfWeek(parse_dow(dow).map_err(|e| ctx("day-of-week", e))?),
        _ => anyhow::bail!(
            "cron({body}): one of day-of-month and day-of-week must be ? (AWS does not take both)"
        ),
    };
    Ok(Cron {
        minutes,
        hours,
        days,
        months,
        years,
    })
}

fn parse_value(text: &str, min: u32, max: u32, names: &[&str]) -> anyhow::Result<u32> {
    let upper = text.to_ascii_uppercase();
    let value = match names.iter().position(|n| *n == upper) {
        Some(i) => i as u32 + min,
        None => text
            .parse()
            .map_err(|_| anyhow::anyhow!("{text:?} is not a value from {min} to {max}"))?,
    };
    if !(min..=max).contains(&value) {
        anyhow::bail!("{value} is outside {min}-{max}");
    }
    Ok(value)
}

/// `*`, `a`, `a-b`, with an optional `/step`, comma-separated; ranges may
/// wrap (`FRI-MON`). Indexed by value (0..=max).
fn parse_set(text: &str, min: u32, max: u32, names: &[&str]) -> anyhow::Result<Vec<bool>> {
    let mut set = vec![false; max as usize + 1];
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| anyhow::anyhow!("step {s:?} is not a positive number"))?;
                (r, step)
            }
            None => (item, 1),
        };
        let (from, to) = match range {
            "*" => (min, max),
            _ => match range.split_once('-') {
                Some((a, b)) => (
                    parse_value(a, min, max, names)?,
                    parse_value(b, min, max, names)?,
                ),
                None => {
                    let a = parse_value(range, min, max, names)?;
                    (a, if item.contains('/') { max } else { a })
                }
            },
        };
        let span = if from <= to {
            to - from
        } else {
            max - from + 1 + to - min
        };
        let mut offset = 0;
        while offset <= span {
            let v = from + offset;
            let v = if v > max { v - max - 1 + min } else { v };
            set[v as usize] = true;
            offset += step;
        }
    }
    Ok(set)
}

fn parse_dom(text: &str) -> anyhow::Result<Vec<DomItem>> {
    text.split(',')
        .map(|item| {
            Ok(match item.to_ascii_uppercase().as_str() {
                "L" => DomItem::Last,
                "LW" => DomItem::LastWeekday,
                upper if upper.ends_with('W') => {
                    DomItem::NearestWeekday(parse_value(&upper[..upper.len() - 1], 1, 31, &[])?)
                }
                _ => DomItem::Set(parse_set(item, 1, 31, &[])?),
            })
        })
        .collect()
}

fn parse_dow(text: &str) -> anyhow::Result<Vec<DowItem>> {
    text.split(',')
        .map(|item| {
            let upper = item.to_ascii_uppercase();
            Ok(if upper == "L" {
                // Alone, L is the last day of the week: every Saturday.
                let mut saturday = vec![false; 8];
                saturday[7] = true;
                DowItem::Set(saturday)
            } else if let Some(day) = upper.strip_suffix('L') {
                DowItem::Last(parse_value(day, 1, 7, &WEEKDAYS)?)
            } else if let Some((day, nth)) = upper.split_once('#') {
                let n: u32 = nth
                    .parse()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| anyhow::anyhow!("in {item:?}, the week after # is 1 to 5"))?;
                DowItem::Nth(parse_value(day, 1, 7, &WEEKDAYS)?, n)
            } else {
                DowItem::Set(parse_set(item, 1, 7, &WEEKDAYS)?)
            })
        })
        .collect()
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let next = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    (next - days_from_civil(year, month, 1)) as u32
}

/// 1 (Sunday) to 7 (Saturday).
fn weekday(year: i64, month: u32, day: u32) -> u32 {
    ((days_from_civil(year, month, day) + 4).rem_euclid(7) + 1) as u32
}

fn is_weekday(year: i64, month: u32, day: u32) -> bool {
    (2..=6).contains(&weekday(year, month, day))
}

impl Cron {
    fn day_matches(&self, year: i64, month: u32, day: u32) -> bool {
        let dim = days_in_month(year, month);
        match &self.days {
            Days::OfMonth(items) => items.iter().any(|item| match item {
                DomItem::Set(set) => set[day as usize],
                DomItem::Last => day == dim,
                DomItem::LastWeekday => {
                    let last = (1..=dim).rev().find(|d| is_weekday(year, month, *d));
                    last == Some(day)
                }
                DomItem::NearestWeekday(n) => {
                    if *n > dim {
                        return false;
                    }
                    let nearest = match weekday(year, month, *n) {
                        7 if *n == 1 => 3,        // Saturday the 1st: Monday the 3rd.
                        7 => *n - 1,              // Saturday: the Friday before.
                        1 if *n == dim => *n - 2, // Sunday the last: the Friday before.
                        1 => *n + 1,              // Sunday: the Monday after.
                        _ => *n,
                    };
                    day == nearest
                }
            }),
            Days::OfWeek(items) => {
                let wd = weekday(year, month, day);
                items.iter().any(|item| match item {
                    DowItem::Set(set) => set[wd as usize],
                    DowItem::Last(d) => wd == *d && day + 7 > dim,
                    DowItem::Nth(d, n) => wd == *d && (day - 1) / 7 + 1 == *n,
                })
            }
        }
    }

    /// The first matching minute strictly after `after`.
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        let secs = after.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        let start = (secs.div_euclid(60) + 1) * 60;
        let first_day = start.div_euclid(86_400);
        let first_minute = start.rem_euclid(86_400) / 60;
        let last_day = days_from_civil(LAST_YEAR, 12, 31);
        for day in first_day..=last_day {
            let (y, m, d) = civil_from_days(day);
            if !self.years[(y - FIRST_YEAR) as usize] || !self.months[m as usize] {
                continue;
            }
            if !self.day_matches(y, m, d) {
                continue;
            }
            let from = if day == first_day { first_minute } else { 0 };
            for minute_of_day in from..1440 {
                let (h, mi) = (minute_of_day / 60, minute_of_day % 60);
                if self.hours[h as usize] && self.minutes[mi as usize] {
                    let at = day * 86_400 + minute_of_day * 60;
                    return Some(UNIX_EPOCH + Duration::from_secs(at as u64));
                }
            }
        }
        None
    }
}

/// The Scheduled Event EventBridge sends for a rule.
pub fn scheduled_event(
    rule: &Rule,
    account: &str,
    region: &str,
    time: SystemTime,
) -> serde_json::Value {
    json!({
        "version": "0",
        "id": super::uuid(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": super::rfc3339(time),
        "region": region,
        "resources": [rule.arn],
        "detail": {}
    })
}

/// Fires the scheduled rules.
pub struct Scheduler {
    router: Arc<EventRouter>,
}

/// The running schedules; [`SchedulerHandle::shutdown`] stops them.
pub struct SchedulerHandle {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SchedulerHandle {
    /// Stops every timer and waits for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

impl Scheduler {
    /// Fires through `router`'s deliveries.
    pub fn new(router: Arc<EventRouter>) -> Scheduler {
        Scheduler { router }
    }

    /// The scheduled rules of every bus.
    pub async fn scheduled_rules(&self) -> anyhow::Result<Vec<Rule>> {
        let mut out = Vec::new();
        for bus in self.router.buses().await? {
            for rule in self.router.rules(&bus).await? {
                if rule.schedule.is_some() {
                    out.push(rule);
                }
            }
        }
        Ok(out)
    }

    /// Starts a timer for each enabled scheduled rule moto has now.
    pub async fn start(self: Arc<Self>) -> anyhow::Result<SchedulerHandle> {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        for rule in self.scheduled_rules().await? {
            if !rule.enabled {
                continue;
            }
            let expression = rule.schedule.clone().unwrap_or_default();
            let schedule = match Schedule::parse(&expression) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("tp local: scheduled rule {} is skipped: {e:#}", rule.name);
                    continue;
                }
            };
            let this = self.clone();
            let mut stopped = stopped.clone();
            tasks.push(tokio::spawn(async move {
                let mut last = SystemTime::now();
                while let Some(next) = schedule.next_after(last) {
                    let wait = next.duration_since(SystemTime::now()).unwrap_or_default();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stopped.changed() => return,
                    }
                    this.fire(&rule, next);
                    last = next;
                }
            }));
        }
        Ok(SchedulerHandle { stop, tasks })
    }

    fn fire(&self, rule: &Rule, time: SystemTime) {
        let event = scheduled_event(rule, self.router.account(), self.router.region(), time);
        self.router.deliver(rule, &event);
    }

    /// Fires the scheduled rule `name` now (its targets get the Scheduled
    /// Event); [`EventRouter::idle`] waits for the deliveries.
    pub async fn fire_now(&self, name: &str) -> anyhow::Result<()> {
        let rules = self.scheduled_rules().await?;
        let rule = rules.iter().find(|r| r.name == name).ok_or_else(|| {
            anyhow::anyhow!(
                "no scheduled rule {name}; the scheduled rules are: {}",
                rules
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        self.fire(rule, SystemTime::now());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        super::super::parse_rfc3339(text).unwrap()
    }

    fn next(expr: &str, after: &str) -> String {
        super::super::rfc3339(
            next_fire(expr, at(after)).unwrap_or_else(|| panic!("{expr} never fires")),
        )
    }

    #[test]
    fn rates_fire_one_rate_later() {
        assert_eq!(
            next("rate(1 hour)", "2024-05-01T12:00:30Z"),
            "2024-05-01T13:00:30Z"
        );
        assert_eq!(
            next("rate(5 minutes)", "2024-05-01T12:00:00Z"),
            "2024-05-01T12:05:00Z"
        );
        assert_eq!(
            next("rate(1 day)", "2024-05-01T12:00:00Z"),
            "2024-05-02T12:00:00Z"
        );
        for bad in [
            "rate(1 hours)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(-1 days)",
            "rate(5 weeks)",
            "rate(five minutes)",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn documented_cron_examples() {
        // 10:15 UTC every day.
        assert_eq!(
            next("cron(15 10 * * ? *)", "2024-05-01T10:15:00Z"),
            "2024-05-02T10:15:00Z"
        );
        assert_eq!(
            next("cron(15 10 * * ? *)", "2024-05-01T10:14:59Z"),
            "2024-05-01T10:15:00Z"
        );
        // 18:00 Monday to Friday (2024-05-03 is a Friday).
        assert_eq!(
            next("cron(0 18 ? * MON-FRI *)", "2024-05-03T18:00:00Z"),
            "2024-05-06T18:00:00Z"
        );
        // 08:00 on the first day of the month.
        assert_eq!(
            next("cron(0 8 1 * ? *)", "2024-05-01T09:00:00Z"),
            "2024-06-01T08:00:00Z"
        );
        // Every 10 minutes on weekdays.
        assert_eq!(
            next("cron(0/10 * ? * MON-FRI *)", "2024-05-03T23:55:00Z"),
            "2024-05-06T00:00:00Z"
        );
        assert_eq!(
            next("cron(0/10 * ? * MON-FRI *)", "2024-05-06T00:01:00Z"),
            "2024-05-06T00:10:00Z"
        );
        // Every 5 minutes between 08:00 and 17:55 on weekdays.
        assert_eq!(
            next("cron(0/5 8-17 ? * MON-FRI *)", "2024-05-06T17:55:00Z"),
            "2024-05-07T08:00:00Z"
        );
        // 09:00 on the first Monday of each month.
        assert_eq!(
            next("cron(0 9 ? * 2#1 *)", "2024-05-07T00:00:00Z"),
            "2024-06-03T09:00:00Z"
        );
    }

    #[test]
    fn last_weekday_and_nth_specials() {
        // Last day of the month, in a leap February.
        assert_eq!(
            next("cron(0 0 L * ? *)", "2024-02-10T00:00:00Z"),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            next("cron(0 0 L * ? *)", "2023-02-10T00:00:00Z"),
            "2023-02-28T00:00:00Z"
        );
        // Last weekday: 2024-08-31 is a Saturday.
        assert_eq!(
            next("cron(0 0 LW * ? *)", "2024-08-01T00:00:00Z"),
            "2024-08-30T00:00:00Z"
        );
        // Nearest weekday to the 15th: 2024-06-15 is a Saturday, 2024-09-15 a Sunday.
        assert_eq!(
            next("cron(0 0 15W * ? *)", "2024-06-01T00:00:00Z"),
            "2024-06-14T00:00:00Z"
        );
        assert_eq!(
            next("cron(0 0 15W * ? *)", "2024-09-01T00:00:00Z"),
            "2024-09-16T00:00:00Z"
        );
        // 1W on Saturday the 1st (2024-06-01) is Monday the 3rd.
        assert_eq!(
            next("cron(0 0 1W * ? *)", "2024-05-31T00:00:00Z"),
            "2024-06-03T00:00:00Z"
        );
        // Last Friday of the month (6L), and the last day of the week (L = Saturday).
        assert_eq!(
            next("cron(0 12 ? * 6L *)", "2024-05-01T00:00:00Z"),
            "2024-05-31T12:00:00Z"
        );
        assert_eq!(
            next("cron(0 12 ? * L *)", "2024-05-01T00:00:00Z"),
            "2024-05-04T12:00:00Z"
        );
        // The third Wednesday.
        assert_eq!(
            next("cron(30 6 ? * WED#3 *)", "2024-05-01T00:00:00Z"),
            "2024-05-15T06:30:00Z"
        );
    }

    #[test]
    fn lists_ranges_steps_names_and_years() {
        assert_eq!(
            next("cron(0,30 9 ? * SUN *)", "2024-05-05T09:00:00Z"),
            "2024-05-05T09:30:00Z"
        );
        assert_eq!(
            next("cron(0 0 1 JAN,JUL ? *)", "2024-02-01T00:00:00Z"),
            "2024-07-01T00:00:00Z"
        );
        assert_eq!(
            next("cron(0 0 1 1 ? 2030)", "2024-02-01T00:00:00Z"),
            "2030-01-01T00:00:00Z"
        );
        assert_eq!(
            next("cron(0 0 1 1 ? 2020-2030/5)", "2024-02-01T00:00:00Z"),
            "2025-01-01T00:00:00Z"
        );
    }

    #[test]
    fn a_schedule_that_ended_never_fires() {
        assert_eq!(
            next_fire("cron(0 0 1 1 ? 2020)", at("2024-01-01T00:00:00Z")),
            None
        );
        // Wrapped weekday range FRI-MON: from Tuesday the next is Friday.
        assert_eq!(
            next("cron(0 0 ? * FRI-MON *)", "2024-05-07T00:00:00Z"),
            "2024-05-10T00:00:00Z"
        );
        // Every 15 minutes from minute 5.
        assert_eq!(
            next("cron(5/15 * * * ? *)", "2024-05-01T10:21:00Z"),
            "2024-05-01T10:35:00Z"
        );
    }

    #[test]
    fn invalid_crons_are_rejected_with_what_is_wrong() {
        let err = |e: &str| Schedule::parse(e).unwrap_err().to_string();
        assert!(err("cron(0 18 * * *)").contains("six"));
        assert!(err("cron(0 18 * * * *)").contains("must be ?"));
        assert!(err("cron(0 18 ? * ? *)").contains("only one"));
        assert!(err("cron(60 18 * * ? *)").contains("minutes"));
        assert!(err("cron(0 24 * * ? *)").contains("hours"));
        assert!(err("cron(0 0 32 * ? *)").contains("day-of-month"));
        assert!(err("cron(0 0 ? * 8 *)").contains("day-of-week"));
        assert!(err("cron(0 0 ? * 2#6 *)").contains("1 to 5"));
        assert!(err("cron(0 0 1 FOO ? *)").contains("month"));
        assert!(err("cron(0/0 0 1 * ? *)").contains("step"));
        assert!(err("every hour").contains("neither"));
    }
}
