//! `tp-bench`: the synthesis benchmarks, printed as Markdown tables.
//!
//! ```text
//! tp-bench synth [--runs N] [--sizes 100,1000,10000]
//!     in-process: the trading platform (every profile, every region) and
//!     generated platforms of each size, timed in turns (a run of each size,
//!     then again); median wall time, peak heap, and the ratio of the time
//!     per declared resource of the largest size to the smallest's
//! tp-bench generated [--runs N] [--sizes 100,1000,10000]
//!     in-process: the generated platforms only
//! tp-bench process --tp PATH [--runs N]
//!     `tp synth` as a process, every profile, one region and all, into a
//!     warm and a cold output directory: wall and CPU time, peak RSS
//! tp-bench versus --tp PATH --cdk-dir DIR [--runs N]
//!     `tp synth` beside `cdk synth` of the CDK app in DIR (`bench/cdk`),
//!     alternating: wall, user and system time, resources synthesized
//! ```
//!
//! Peak heap is counted by this binary's global allocator (bytes live at
//! once during the measured call); peak RSS comes from `wait4` on the child.
//! `scripts/bench` runs both, with the macro and build benchmarks, and writes
//! the results into the README.

use std::alloc::{GlobalAlloc, Layout};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

mod versus;

use platform_core::spec::Platform;
use platform_core::synth::{self, Assembly, Deployment};

/// The allocator a release `tp` runs with (mimalloc, `cli/src/main.rs`),
/// counting live bytes and their peak while [`peak_heap`] runs. The
/// counters are shared by every thread, and keeping them on would time
/// their contention with the code measured: outside `peak_heap` they are
/// not touched.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
/// Bytes allocated since counting started, less those freed since: memory
/// live before that is freed while counting makes it negative.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grew(bytes: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        let now = LIVE.fetch_add(bytes as isize, Ordering::Relaxed) + bytes as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

fn shrank(bytes: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE.fetch_sub(bytes as isize, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `MiMalloc` unchanged; only counters are
// updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak bytes allocated at once while `f` runs, beyond what was live before.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::SeqCst);
    let out = f();
    COUNTING.store(false, Ordering::SeqCst);
    (out, PEAK.load(Ordering::Relaxed).max(0) as usize)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn mib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// Runs `f` `runs` times: the median time, and the peak heap of the first run.
fn measure<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, usize, T) {
    let (out, heap) = peak_heap(&mut f);
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let result = f();
        samples.push(start.elapsed());
        drop(result);
    }
    (median(samples), heap, out)
}

fn cfn_resources(assembly: &Assembly) -> usize {
    assembly
        .stacks
        .iter()
        .map(|s| {
            // A parent's nested stacks are resources of its own; count what
            // they hold instead.
            s.template.resources.len() - s.nested.len()
                + s.nested
                    .iter()
                    .map(|n| n.template.resources.len())
                    .sum::<usize>()
        })
        .sum()
}

fn template_bytes(assembly: &Assembly) -> usize {
    assembly
        .stacks
        .iter()
        .map(|s| s.body.len() + s.nested.iter().map(|n| n.body.len()).sum::<usize>())
        .sum()
}

fn templates(assembly: &Assembly) -> usize {
    assembly.stacks.iter().map(|s| 1 + s.nested.len()).sum()
}

/// The trading platform, every profile and region.
fn trading_platform(runs: usize) -> Result<(), String> {
    let platform = platform_def::platform();
    println!("In-process `synth()` of the trading platform, every region (median of {runs}):");
    println!();
    println!(
        "| profile | stacks | CloudFormation resources | template bytes | median ms | peak heap MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for profile in &platform.profiles {
        let deployment =
            Deployment::new(&platform, "bench", Some(profile), &[]).map_err(|e| e.to_string())?;
        let (time, heap, assembly) = measure(runs, || synth::synth(&platform, &deployment));
        let assembly = assembly.map_err(|e| e.to_string())?;
        println!(
            "| {profile} | {} | {} | {} | {} | {} |",
            templates(&assembly),
            cfn_resources(&assembly),
            template_bytes(&assembly),
            ms(time),
            mib(heap)
        );
    }
    println!();
    Ok(())
}

/// Generated platforms of each size, one region: time per declared resource.
fn generated(runs: usize, sizes: &[usize]) -> Result<(), String> {
    let code = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../platform-core/tests/fixtures/handler")
        .canonicalize()
        .map_err(|e| format!("fixture handler: {e}"))?;
    let code = code.to_string_lossy();
    // The sizes are timed in turns (one run of each, then again), not one
    // size after another: this VM's speed drifts by a third from one
    // minute to the next, and a drift between the sizes' series would
    // show as a cost per resource that is not flat.
    struct Size {
        n: usize,
        platform: Platform,
        deployment: Deployment,
        runs: usize,
        samples: Vec<Duration>,
        heap: usize,
        assembly: Assembly,
    }
    let mut measured = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let platform: Platform = platform_core::generate::platform(n, "us-east-1", &code);
        let deployment =
            Deployment::new(&platform, "bench", Some("dev"), &[]).map_err(|e| e.to_string())?;
        // Fewer runs of the largest sizes keep the whole benchmark short.
        let runs = (runs * 1000 / n.max(1)).clamp(5, runs.max(5));
        let (assembly, heap) = peak_heap(|| synth::synth(&platform, &deployment));
        let assembly = assembly.map_err(|e| format!("{n} resources: {e}"))?;
        measured.push(Size {
            n,
            platform,
            deployment,
            runs,
            samples: Vec::with_capacity(runs),
            heap,
            assembly,
        });
    }
    while measured.iter().any(|m| m.samples.len() < m.runs) {
        for m in measured.iter_mut().filter(|m| m.samples.len() < m.runs) {
            let start = Instant::now();
            let result = synth::synth(&m.platform, &m.deployment);
            m.samples.push(start.elapsed());
            drop(result);
        }
    }
    println!(
        "In-process `synth()` of generated platforms, one region, profile dev, the sizes timed in turns; time per declared resource should stay flat:"
    );
    println!();
    println!(
        "| declared resources | CloudFormation resources | templates | template bytes | runs | median ms | µs per resource | peak heap MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut per_resource = Vec::with_capacity(measured.len());
    for m in measured {
        let time = median(m.samples);
        let micros = time.as_secs_f64() * 1e6 / m.n as f64;
        per_resource.push((m.n, micros));
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            m.n,
            cfn_resources(&m.assembly),
            templates(&m.assembly),
            template_bytes(&m.assembly),
            m.runs,
            ms(time),
            micros,
            mib(m.heap)
        );
    }
    println!();
    if let (Some(&(small, first)), Some(&(large, last))) =
        (per_resource.first(), per_resource.last())
        && large > small
    {
        let highest = per_resource.iter().map(|&(_, us)| us).fold(0.0, f64::max);
        let lowest = per_resource
            .iter()
            .map(|&(_, us)| us)
            .fold(f64::MAX, f64::min);
        println!(
            "Time per declared resource at {large} over {small}: {:.2}x; highest over lowest of the sizes: {:.2}x.",
            last / first,
            highest / lowest
        );
        println!();
    }
    Ok(())
}

/// What a child process run to completion took, as `wait4` reports it.
struct ChildUsage {
    wall: Duration,
    user: Duration,
    sys: Duration,
    /// Peak resident set size in bytes.
    peak_rss: usize,
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Runs `command` to completion, its standard output discarded.
fn run_child(command: &mut Command) -> Result<ChildUsage, String> {
    let start = Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `pid` is our
    // own child, not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if waited != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(format!("{command:?} failed (status {status})"));
    }
    Ok(ChildUsage {
        wall,
        user: timeval(usage.ru_utime),
        sys: timeval(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        peak_rss: usage.ru_maxrss as usize * 1024,
    })
}

fn process(tp: &Path, runs: usize) -> Result<(), String> {
    let out = std::env::temp_dir().join(format!("tp-bench-{}", std::process::id()));
    let platform = platform_def::platform();
    let first = platform
        .regions
        .first()
        .ok_or("the platform declares no region")?
        .clone();
    println!(
        "`tp synth --suffix bench --profile P` as a process, writing `--out` (median of {runs}): one region (`--region {first}`) and every region; warm is a synth into the directory of the previous one, whose unchanged code zips it keeps (the asset cache), cold a synth into an empty directory:"
    );
    println!();
    println!(
        "| profile | regions | warm wall ms | warm user ms | warm sys ms | warm peak RSS MiB | cold wall ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for profile in &platform.profiles {
        for regions in [vec![first.clone()], Vec::new()] {
            let synth = |dir: &Path| {
                let mut command = Command::new(tp);
                command
                    .args(["synth", "--suffix", "bench", "--profile", profile, "--out"])
                    .arg(dir);
                for region in &regions {
                    command.args(["--region", region]);
                }
                run_child(&mut command)
            };
            let _ = std::fs::remove_dir_all(&out);
            // The first synth fills the cache; the sources it read are older
            // than the racy window, so the next ones keep its zips.
            synth(&out)?;
            let mut warm = Vec::new();
            for _ in 0..runs {
                warm.push(synth(&out)?);
            }
            let mut cold = Vec::new();
            for _ in 0..runs {
                let _ = std::fs::remove_dir_all(&out);
                cold.push(synth(&out)?.wall);
            }
            let pick = |f: fn(&ChildUsage) -> Duration| median(warm.iter().map(f).collect());
            let mut rss: Vec<usize> = warm.iter().map(|c| c.peak_rss).collect();
            rss.sort();
            println!(
                "| {profile} | {} | {} | {} | {} | {} | {} |",
                if regions.is_empty() {
                    format!("all {}", platform.regions.len())
                } else {
                    regions.join(", ")
                },
                ms(pick(|c| c.wall)),
                ms(pick(|c| c.user)),
                ms(pick(|c| c.sys)),
                mib(rss[rss.len() / 2]),
                ms(median(cold)),
            );
        }
    }
    println!();
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}

fn usage() -> String {
    "usage: tp-bench synth|generated [--runs N] [--sizes 100,1000,10000] | tp-bench process --tp PATH [--runs N] | tp-bench versus --tp PATH --cdk-dir DIR [--runs N]".into()
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let command = args.next().ok_or_else(usage)?;
    let mut runs = 11;
    let mut sizes = vec![100, 1_000, 10_000];
    let mut tp: Option<PathBuf> = None;
    let mut cdk_dir: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--sizes" => {
                sizes = value()?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--sizes: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--tp" => tp = Some(PathBuf::from(value()?)),
            "--cdk-dir" => cdk_dir = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument `{arg}`; {}", usage())),
        }
    }
    let runs = runs.max(1);
    match command.as_str() {
        "synth" => trading_platform(runs).and_then(|()| generated(runs, &sizes)),
        "generated" => generated(runs, &sizes),
        "process" => process(&tp.ok_or("process needs --tp PATH")?, runs),
        "versus" => versus::versus(
            &tp.ok_or("versus needs --tp PATH")?,
            &cdk_dir.ok_or("versus needs --cdk-dir DIR")?,
            runs,
        ),
        _ => Err(usage()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
