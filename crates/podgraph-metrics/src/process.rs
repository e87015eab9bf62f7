//! CPU and memory of the podgraph process, read from `/proc` on Linux.
//!
//! The samples are rendered as text next to the exporter's output instead of going
//! through the `metrics` facade, because facade counters hold whole numbers and CPU time
//! is fractional. On other systems there is no sample and the process metrics are left
//! out of the exposition.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::catalogue::{
    MetricDef, PROCESS_CPU, PROCESS_OPEN_FDS, PROCESS_RESIDENT_MEMORY, PROCESS_START_TIME,
    PROCESS_THREADS, PROCESS_VIRTUAL_MEMORY,
};

/// One reading of the resources the process uses.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ProcessSample {
    /// User and system CPU time.
    pub(crate) cpu_seconds: f64,
    /// Resident set size.
    pub(crate) resident_bytes: u64,
    /// Virtual memory size.
    pub(crate) virtual_bytes: u64,
    /// Unix time of the process start, when the boot time could be read.
    pub(crate) start_time_seconds: Option<f64>,
    /// Number of threads.
    pub(crate) threads: u64,
    /// Open file descriptors, when `/proc/self/fd` could be listed.
    pub(crate) open_fds: Option<u64>,
}

/// Holds the latest sample, refreshed by the upkeep.
#[derive(Debug, Default)]
pub(crate) struct ProcessCollector {
    latest: Mutex<Option<ProcessSample>>,
    warned: AtomicBool,
}

impl ProcessCollector {
    /// Reads `/proc` again. A failed read keeps the previous sample and is logged once.
    pub(crate) fn refresh(&self) {
        match read_sample() {
            Ok(sample) => {
                *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(sample);
            }
            Err(reason) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        target: "podgraph::metrics",
                        %reason,
                        "could not read process statistics; process metrics are left out"
                    );
                }
            }
        }
    }

    /// Appends the latest sample in the Prometheus text format; nothing before the first
    /// successful refresh.
    pub(crate) fn render_into(&self, out: &mut String) {
        let latest = *self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sample) = latest {
            render_sample(&sample, out);
        }
    }
}

fn render_sample(sample: &ProcessSample, out: &mut String) {
    write_family(out, &PROCESS_CPU, sample.cpu_seconds);
    write_family(out, &PROCESS_RESIDENT_MEMORY, sample.resident_bytes as f64);
    write_family(out, &PROCESS_VIRTUAL_MEMORY, sample.virtual_bytes as f64);
    if let Some(start) = sample.start_time_seconds {
        write_family(out, &PROCESS_START_TIME, start);
    }
    write_family(out, &PROCESS_THREADS, sample.threads as f64);
    if let Some(fds) = sample.open_fds {
        write_family(out, &PROCESS_OPEN_FDS, fds as f64);
    }
}

/// Writes one unlabelled family. Help texts in the catalogue contain no backslash or
/// line feed (a catalogue test checks), so they need no escaping.
fn write_family(out: &mut String, def: &MetricDef, value: f64) {
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n\n",
        name = def.name,
        help = def.help,
        kind = def.kind.as_str(),
    );
}

#[cfg(target_os = "linux")]
fn read_sample() -> Result<ProcessSample, String> {
    use std::sync::OnceLock;

    static BOOT_TIME: OnceLock<Option<u64>> = OnceLock::new();

    let read = |path: &str| {
        std::fs::read_to_string(path).map_err(|error| format!("cannot read {path}: {error}"))
    };
    let stat = parse_stat(&read("/proc/self/stat")?).ok_or("malformed /proc/self/stat")?;
    let statm = parse_statm(&read("/proc/self/statm")?).ok_or("malformed /proc/self/statm")?;
    let boot_time = *BOOT_TIME.get_or_init(|| {
        std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|text| parse_boot_time(&text))
    });
    let open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count() as u64);

    let ticks = rustix::param::clock_ticks_per_second().max(1) as f64;
    let page_size = rustix::param::page_size() as u64;
    Ok(ProcessSample {
        cpu_seconds: (stat.utime_ticks.saturating_add(stat.stime_ticks)) as f64 / ticks,
        resident_bytes: statm.resident_pages.saturating_mul(page_size),
        virtual_bytes: statm.size_pages.saturating_mul(page_size),
        start_time_seconds: boot_time.map(|boot| boot as f64 + stat.start_ticks as f64 / ticks),
        threads: stat.threads,
        open_fds,
    })
}

#[cfg(not(target_os = "linux"))]
fn read_sample() -> Result<ProcessSample, String> {
    Err("process metrics are only read on Linux".to_owned())
}

/// The fields of `/proc/self/stat` that podgraph reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StatFields {
    utime_ticks: u64,
    stime_ticks: u64,
    threads: u64,
    start_ticks: u64,
}

/// Parses `/proc/[pid]/stat` (proc(5)). The command name in field 2 is in parentheses
/// and may itself contain spaces and parentheses, so fields are counted from the last
/// `)`. Field 14 is utime, 15 stime, 20 num_threads and 22 starttime, all in clock ticks
/// except the thread count.
fn parse_stat(text: &str) -> Option<StatFields> {
    let after_name = text.get(text.rfind(')')? + 1..)?;
    // The first field after the name is field 3 (state).
    let fields: Vec<&str> = after_name.split_ascii_whitespace().collect();
    let field = |number: usize| -> Option<u64> { fields.get(number.checked_sub(3)?)?.parse().ok() };
    Some(StatFields {
        utime_ticks: field(14)?,
        stime_ticks: field(15)?,
        threads: field(20)?,
        start_ticks: field(22)?,
    })
}

/// The fields of `/proc/self/statm` that podgraph reports, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StatmFields {
    size_pages: u64,
    resident_pages: u64,
}

/// Parses `/proc/[pid]/statm`: total program size, then resident set size, in pages.
fn parse_statm(text: &str) -> Option<StatmFields> {
    let mut fields = text.split_ascii_whitespace();
    Some(StatmFields {
        size_pages: fields.next()?.parse().ok()?,
        resident_pages: fields.next()?.parse().ok()?,
    })
}

/// Reads the boot time in Unix seconds from the `btime` line of `/proc/stat`.
fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parentheses_in_name() {
        let text = "4242 (we(ird) name)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    250 75 0 0 20 0 7 0 123456 104857600 2560 18446744073709551615";
        let stat = parse_stat(text).expect("valid stat line");
        assert_eq!(
            stat,
            StatFields {
                utime_ticks: 250,
                stime_ticks: 75,
                threads: 7,
                start_ticks: 123_456,
            }
        );
    }

    #[test]
    fn truncated_stat_is_rejected() {
        assert_eq!(parse_stat("1 (x) S 1 2 3"), None);
        assert_eq!(parse_stat("no parenthesis here"), None);
    }

    #[test]
    fn statm_reads_size_and_resident() {
        let statm = parse_statm("25600 2560 512 100 0 3000 0\n").expect("valid statm");
        assert_eq!(statm.size_pages, 25_600);
        assert_eq!(statm.resident_pages, 2560);
        assert_eq!(parse_statm("12"), None);
    }

    #[test]
    fn boot_time_from_proc_stat() {
        let text = "cpu  1 2 3 4\nintr 5\nbtime 1700000000\nprocesses 10\n";
        assert_eq!(parse_boot_time(text), Some(1_700_000_000));
        assert_eq!(parse_boot_time("cpu 1 2\n"), None);
    }

    #[test]
    fn render_writes_help_type_and_value() {
        let sample = ProcessSample {
            cpu_seconds: 1.25,
            resident_bytes: 4096,
            virtual_bytes: 8192,
            start_time_seconds: None,
            threads: 3,
            open_fds: Some(9),
        };
        let mut out = String::new();
        render_sample(&sample, &mut out);
        assert!(out.contains("# TYPE podgraph_process_cpu_seconds_total counter\n"));
        assert!(out.contains("\npodgraph_process_cpu_seconds_total 1.25\n"));
        assert!(out.contains("\npodgraph_process_resident_memory_bytes 4096\n"));
        assert!(out.contains("\npodgraph_process_open_fds 9\n"));
        assert!(!out.contains("podgraph_process_start_time_seconds"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process() {
        let sample = read_sample().expect("/proc is readable on Linux");
        assert!(sample.resident_bytes > 0);
        assert!(sample.virtual_bytes >= sample.resident_bytes);
        assert!(sample.threads >= 1);
        assert!(sample.cpu_seconds >= 0.0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs_f64();
        let start = sample.start_time_seconds.expect("boot time is readable");
        assert!(start <= now + 1.0 && start > now - 86_400.0, "{start}");
    }
}
