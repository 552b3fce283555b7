//! What `tp` shows while it waits on CloudFormation: per stack and region,
//! the time since the operation started, the resources done out of those
//! the change touches, and the current operation (the latest event's
//! logical id and status).
//!
//! On a terminal, one live bar per region (`indicatif`), the events
//! printed above the bars. Elsewhere (a pipe, a CI log, `tp -q`'s
//! `/dev/null`) one plain line per event, and a "still waiting" line
//! whenever nothing was printed for [`HEARTBEAT`], so a wait is never
//! silent, even when the endpoint does not answer.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a non-terminal display stays silent at most.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// The bars of every region being watched, drawn together on standard
/// output.
fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stdout()))
}

/// Whether progress is drawn as live bars: standard output is a terminal.
fn live() -> bool {
    std::io::stdout().is_terminal()
}

/// Prints a line on standard output above the live bars, if any are drawn.
pub fn println(line: &str) {
    if live() {
        bars().println(line).unwrap_or_else(|_| println!("{line}"));
    } else {
        println!("{line}");
    }
}

/// One stack event, as `DescribeStackEvents` gives it.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    /// `HH:MM:SS`.
    pub time: &'a str,
    pub status: &'a str,
    pub resource_type: &'a str,
    pub logical_id: &'a str,
    pub reason: &'a str,
}

impl Event<'_> {
    /// An event on the stack itself rather than one of its resources.
    fn on_stack(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }

    /// A resource finished: created, updated or deleted, not rolled back.
    fn finishes_a_resource(&self) -> bool {
        !self.on_stack() && self.status.ends_with("_COMPLETE") && !self.status.contains("ROLLBACK")
    }
}

/// What is known of a watched operation so far.
struct State {
    finished: usize,
    current: String,
    /// When the display last said something.
    last_output: Instant,
}

/// The display of one stack's operation, from its start to its end.
pub struct Progress {
    region: String,
    stack: String,
    /// The resources the change touches; 0 when not known (a deletion).
    expected: usize,
    started: Instant,
    state: Arc<Mutex<State>>,
    bar: Option<ProgressBar>,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts the display of `stack`'s operation in `region`: a live bar on
    /// a terminal, else plain lines with a heartbeat (which needs a Tokio
    /// runtime).
    pub fn start(region: &str, stack: &str, expected: usize) -> Progress {
        let mut progress = Progress::new(region, stack, expected, Instant::now());
        if live() {
            let bar = bars().add(ProgressBar::new(expected as u64));
            let template = if expected > 0 {
                "{prefix:.bold} {elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} {wide_msg}"
            } else {
                "{prefix:.bold} {elapsed:>4} {spinner} {pos} done {wide_msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(format!("{region:<10} {stack}"));
            bar.enable_steady_tick(Duration::from_millis(200));
            progress.bar = Some(bar);
        } else {
            let state = Arc::clone(&progress.state);
            let (region, stack, started) = (region.to_owned(), stack.to_owned(), progress.started);
            progress.heartbeat = Some(tokio::spawn(async move {
                let mut ticks = tokio::time::interval(HEARTBEAT / 2);
                loop {
                    ticks.tick().await;
                    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                    let now = Instant::now();
                    if let Some(line) =
                        heartbeat_line(&state, &region, &stack, expected, started, now)
                    {
                        println!("{line}");
                        state.last_output = now;
                    }
                }
            }));
        }
        progress
    }

    fn new(region: &str, stack: &str, expected: usize, started: Instant) -> Progress {
        Progress {
            region: region.to_owned(),
            stack: stack.to_owned(),
            expected,
            started,
            state: Arc::new(Mutex::new(State {
                finished: 0,
                current: String::new(),
                last_output: started,
            })),
            bar: None,
            heartbeat: None,
        }
    }

    /// Records an event and shows it.
    pub fn event(&self, event: &Event<'_>) {
        let line = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if event.finishes_a_resource() {
                state.finished += 1;
            }
            state.current = format!("{} {}", event.logical_id, event.status);
            state.last_output = Instant::now();
            event_line(&self.region, event, state.finished, self.expected)
        };
        match &self.bar {
            Some(bar) => {
                let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                bar.set_position(self.done(&state) as u64);
                bar.set_message(state.current.clone());
                bar.println(line);
            }
            None => println!("{line}"),
        }
    }

    /// Ends the display with one line: how the operation ended, after how
    /// long, and how much of it was done. A completed operation did every
    /// change, whether or not each resource's event was seen (some
    /// endpoints report only the stack's own events).
    pub fn finish(&self, status: &str, completed: bool) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        println(&finish_line(
            &self.region,
            &self.stack,
            status,
            self.started.elapsed(),
            self.finished(),
            self.expected,
            completed,
        ));
    }

    fn done(&self, state: &State) -> usize {
        if self.expected > 0 {
            state.finished.min(self.expected)
        } else {
            state.finished
        }
    }

    /// The resources finished so far.
    pub fn finished(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .finished
    }

    /// The stack this display is for.
    pub fn stack(&self) -> &str {
        &self.stack
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.heartbeat.take() {
            task.abort();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            bars().remove(&bar);
        }
    }
}

/// The line shown for an event: region, time, status, resource, the count
/// done out of `expected` (for a resource, when known), and the reason.
pub fn event_line(region: &str, event: &Event<'_>, finished: usize, expected: usize) -> String {
    let progress = if expected > 0 && !event.on_stack() {
        format!(" ({}/{expected})", finished.min(expected))
    } else {
        String::new()
    };
    let reason = if event.reason.is_empty() {
        String::new()
    } else {
        format!("  {}", event.reason)
    };
    format!(
        "{region:<10} {}  {:<20} {} {}{progress}{reason}",
        event.time, event.status, event.resource_type, event.logical_id
    )
}

/// The line ending an operation's display (see [`Progress::finish`]).
fn finish_line(
    region: &str,
    stack: &str,
    status: &str,
    elapsed: Duration,
    finished: usize,
    expected: usize,
    completed: bool,
) -> String {
    let done = match expected {
        0 => format!("{finished} done"),
        n if completed => format!("{n}/{n} done"),
        n => format!("{}/{n} done", finished.min(n)),
    };
    format!(
        "{region:<10} {stack}: {status} after {} s, {done}",
        elapsed.as_secs()
    )
}

/// The "still waiting" line, when the display was silent for
/// [`HEARTBEAT`] at `now`.
fn heartbeat_line(
    state: &State,
    region: &str,
    stack: &str,
    expected: usize,
    started: Instant,
    now: Instant,
) -> Option<String> {
    if now.duration_since(state.last_output) < HEARTBEAT {
        return None;
    }
    let elapsed = now.duration_since(started).as_secs();
    let done = if expected > 0 {
        format!("{}/{expected} done", state.finished.min(expected))
    } else {
        format!("{} done", state.finished)
    };
    let current = if state.current.is_empty() {
        String::new()
    } else {
        format!(", last {}", state.current)
    };
    Some(format!(
        "{region:<10} still waiting on {stack}: {elapsed} s, {done}{current}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(status: &'a str, logical_id: &'a str, resource_type: &'a str) -> Event<'a> {
        Event {
            time: "09:00:01",
            status,
            resource_type,
            logical_id,
            reason: "",
        }
    }

    #[test]
    fn an_event_line_counts_finished_resources_out_of_the_expected() {
        let line = event_line(
            "us-east-1",
            &event("CREATE_COMPLETE", "SessionsTable", "AWS::DynamoDB::Table"),
            3,
            12,
        );
        assert_eq!(
            line,
            "us-east-1  09:00:01  CREATE_COMPLETE      AWS::DynamoDB::Table SessionsTable (3/12)"
        );
        // The stack's own events and unknown totals carry no count.
        let stack = event("CREATE_IN_PROGRESS", "tp", "AWS::CloudFormation::Stack");
        assert!(!event_line("us-east-1", &stack, 3, 12).contains('/'));
        let failed = Event {
            reason: "Resource handler returned message: denied",
            ..event("CREATE_FAILED", "Q", "AWS::SQS::Queue")
        };
        assert!(
            event_line("eu-west-1", &failed, 0, 0)
                .ends_with("AWS::SQS::Queue Q  Resource handler returned message: denied")
        );
    }

    #[test]
    fn events_advance_the_count_only_for_finished_resources() {
        let progress = Progress::new("us-east-1", "tp", 2, Instant::now());
        for (status, id, kind) in [
            ("CREATE_IN_PROGRESS", "Q", "AWS::SQS::Queue"),
            ("CREATE_COMPLETE", "Q", "AWS::SQS::Queue"),
            ("UPDATE_ROLLBACK_COMPLETE", "T", "AWS::SNS::Topic"),
            ("CREATE_COMPLETE", "tp", "AWS::CloudFormation::Stack"),
            ("DELETE_COMPLETE", "Old", "AWS::SNS::Topic"),
        ] {
            progress.event(&event(status, id, kind));
        }
        assert_eq!(progress.finished(), 2);
    }

    #[test]
    fn the_last_line_says_how_it_ended_after_how_long_and_how_far() {
        let line = |finished, expected, completed| {
            finish_line(
                "us-east-1",
                "tp",
                "UPDATE_COMPLETE",
                Duration::from_secs(42),
                finished,
                expected,
                completed,
            )
        };
        // Completed: every change was made, seen or not.
        assert_eq!(
            line(1, 3, true),
            "us-east-1  tp: UPDATE_COMPLETE after 42 s, 3/3 done"
        );
        assert_eq!(
            line(1, 3, false),
            "us-east-1  tp: UPDATE_COMPLETE after 42 s, 1/3 done"
        );
        assert_eq!(
            line(5, 0, true),
            "us-east-1  tp: UPDATE_COMPLETE after 42 s, 5 done"
        );
    }

    #[test]
    fn a_silent_wait_says_how_long_and_how_far_after_the_heartbeat() {
        let started = Instant::now();
        let mut state = State {
            finished: 4,
            current: "TradesCluster CREATE_IN_PROGRESS".into(),
            last_output: started,
        };
        let line = |state: &State, after: u64| {
            heartbeat_line(
                state,
                "us-east-1",
                "tp-us-east-1-dev",
                9,
                started,
                started + Duration::from_secs(after),
            )
        };
        assert_eq!(line(&state, 9), None);
        assert_eq!(
            line(&state, 12).as_deref(),
            Some(
                "us-east-1  still waiting on tp-us-east-1-dev: 12 s, 4/9 done, last TradesCluster CREATE_IN_PROGRESS"
            )
        );
        // Output since then restarts the silence.
        state.last_output = started + Duration::from_secs(12);
        assert_eq!(line(&state, 20), None);
        assert!(line(&state, 22).unwrap().contains(": 22 s, 4/9 done"));
        state.current.clear();
        assert_eq!(
            heartbeat_line(
                &state,
                "us-east-1",
                "s",
                0,
                started,
                started + Duration::from_secs(30)
            )
            .as_deref(),
            Some("us-east-1  still waiting on s: 30 s, 4 done")
        );
    }
}
