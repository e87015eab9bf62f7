//! Helpers shared by the integration tests: a strict parser of the Prometheus text
//! exposition format 0.0.4, a `promtool check metrics` runner, and test data builders.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use podgraph_core::ids::EpisodeKey;
use podgraph_core::model::{Episode, Podcast};
use podgraph_core::pipeline::EpisodeJob;

/// One sample line.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The sample name (`x_bucket`, `x_sum`, ... for histograms).
    pub name: String,
    /// Labels, `le` included.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// One metric family: its `# TYPE`, `# HELP` and samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Family {
    /// `counter`, `gauge`, `histogram`, `summary` or `untyped`.
    pub kind: String,
    /// The unescaped help text, when present.
    pub help: Option<String>,
    /// Samples in order.
    pub samples: Vec<Sample>,
}

/// A parsed exposition.
#[derive(Clone, Debug, Default)]
pub struct Exposition {
    /// Families by name.
    pub families: BTreeMap<String, Family>,
}

impl Exposition {
    /// The value of the sample `name` whose labels are exactly `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples()
            .find(|s| s.name == name && s.labels == wanted)
            .map(|s| s.value)
    }

    /// The sum of the samples named `name` whose labels include all of `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    /// Every sample of every family.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.families.values().flat_map(|f| f.samples.iter())
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

fn unescape_help(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                other => return Err(format!("invalid escape \\{other:?} in help")),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Parses `name{a="b",...} value [timestamp]`.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() && chars[i] != '{' && chars[i] != ' ' {
        i += 1;
    }
    let name: String = chars[..i].iter().collect();
    if !is_metric_name(&name) {
        return Err(format!("invalid metric name {name:?}"));
    }

    let mut labels = BTreeMap::new();
    if chars.get(i) == Some(&'{') {
        i += 1;
        loop {
            if chars.get(i) == Some(&'}') {
                i += 1;
                break;
            }
            let start = i;
            while i < chars.len() && chars[i] != '=' {
                i += 1;
            }
            let key: String = chars[start..i].iter().collect();
            if !is_label_name(&key) {
                return Err(format!("invalid label name {key:?} in {line:?}"));
            }
            if chars.get(i + 1) != Some(&'"') {
                return Err(format!("label value of {key} is not quoted in {line:?}"));
            }
            i += 2;
            let mut value = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(format!("unterminated label value in {line:?}")),
                    Some('"') => break,
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            Some('n') => value.push('\n'),
                            other => return Err(format!("invalid escape {other:?} in {line:?}")),
                        }
                        i += 1;
                    }
                    Some(c) => value.push(*c),
                }
                i += 1;
            }
            i += 1;
            if labels.insert(key.clone(), value).is_some() {
                return Err(format!("label {key} repeated in {line:?}"));
            }
            match chars.get(i) {
                Some(',') => i += 1,
                Some('}') => {
                    i += 1;
                    break;
                }
                other => {
                    return Err(format!(
                        "expected , or }} after a label, got {other:?} in {line:?}"
                    ));
                }
            }
        }
    }

    let rest: String = chars[i..].iter().collect();
    let rest = rest
        .strip_prefix(' ')
        .ok_or_else(|| format!("expected one space before the value in {line:?}"))?;
    let mut parts = rest.split(' ');
    let value_text = parts.next().unwrap_or_default();
    let value = parse_value(value_text)
        .ok_or_else(|| format!("invalid value {value_text:?} in {line:?}"))?;
    if let Some(timestamp) = parts.next() {
        timestamp
            .parse::<i64>()
            .map_err(|_| format!("invalid timestamp {timestamp:?} in {line:?}"))?;
    }
    if parts.next().is_some() {
        return Err(format!("trailing text in {line:?}"));
    }
    Ok(Sample {
        name,
        labels,
        value,
    })
}

/// The family a sample name belongs to, given the current family and its type.
fn belongs_to(sample: &str, family: &str, kind: &str) -> bool {
    match kind {
        "histogram" => [
            format!("{family}_bucket"),
            format!("{family}_sum"),
            format!("{family}_count"),
        ]
        .iter()
        .any(|n| n == sample),
        "summary" => {
            sample == family
                || sample == format!("{family}_sum")
                || sample == format!("{family}_count")
        }
        _ => sample == family,
    }
}

/// Parses a text exposition strictly. Every sample needs a preceding `# TYPE`, and a
/// family appears in one block with at most one `# HELP` and one `# TYPE`. No series
/// repeats and no counter is negative. Histogram buckets are cumulative and end with
/// `+Inf`, which equals `_count`.
pub fn parse(text: &str) -> Result<Exposition, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("exposition does not end with a line feed".to_owned());
    }
    let mut exposition = Exposition::default();
    let mut current: Option<String> = None;
    let mut closed: HashSet<String> = HashSet::new();
    let mut series: HashSet<(String, BTreeMap<String, String>)> = HashSet::new();

    let mut open_family = |name: &str, current: &mut Option<String>| -> Result<(), String> {
        if current.as_deref() != Some(name) {
            if let Some(previous) = current.take() {
                closed.insert(previous);
            }
            if closed.contains(name) {
                return Err(format!("family {name} appears in two blocks"));
            }
            *current = Some(name.to_owned());
        }
        Ok(())
    };

    for (number, line) in text.lines().enumerate() {
        let at = |message: String| format!("line {}: {message}", number + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            let mut words = comment.splitn(3, ' ');
            match words.next() {
                Some("HELP") => {
                    let name = words.next().ok_or_else(|| at("HELP without name".into()))?;
                    if !is_metric_name(name) {
                        return Err(at(format!("invalid name {name:?} in HELP")));
                    }
                    let help = unescape_help(words.next().unwrap_or_default()).map_err(at)?;
                    open_family(name, &mut current).map_err(at)?;
                    let family = exposition.families.entry(name.to_owned()).or_default();
                    if family.help.replace(help).is_some() {
                        return Err(at(format!("second HELP for {name}")));
                    }
                    if !family.samples.is_empty() {
                        return Err(at(format!("HELP for {name} after its samples")));
                    }
                }
                Some("TYPE") => {
                    let name = words.next().ok_or_else(|| at("TYPE without name".into()))?;
                    let kind = words
                        .next()
                        .ok_or_else(|| at(format!("TYPE of {name} without type")))?;
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(at(format!("unknown type {kind:?} for {name}")));
                    }
                    open_family(name, &mut current).map_err(at)?;
                    let family = exposition.families.entry(name.to_owned()).or_default();
                    if !family.kind.is_empty() {
                        return Err(at(format!("second TYPE for {name}")));
                    }
                    if !family.samples.is_empty() {
                        return Err(at(format!("TYPE for {name} after its samples")));
                    }
                    family.kind = kind.to_owned();
                }
                _ => {}
            }
            continue;
        }

        let sample = parse_sample(line).map_err(at)?;
        let family_name = current
            .clone()
            .ok_or_else(|| at(format!("sample {} before any TYPE", sample.name)))?;
        let family = exposition
            .families
            .get_mut(&family_name)
            .ok_or_else(|| at(format!("unknown family {family_name}")))?;
        if family.kind.is_empty() {
            return Err(at(format!("family {family_name} has no TYPE")));
        }
        if !belongs_to(&sample.name, &family_name, &family.kind) {
            return Err(at(format!(
                "sample {} does not belong to the {} family {family_name}",
                sample.name, family.kind
            )));
        }
        if family.kind == "counter" && (sample.value < 0.0 || sample.value.is_nan()) {
            return Err(at(format!("counter {} is {}", sample.name, sample.value)));
        }
        if family.kind == "histogram"
            && sample.name.ends_with("_bucket")
            && !sample.labels.contains_key("le")
        {
            return Err(at(format!("bucket of {family_name} without le")));
        }
        if !series.insert((sample.name.clone(), sample.labels.clone())) {
            return Err(at(format!(
                "series {} {:?} repeated",
                sample.name, sample.labels
            )));
        }
        family.samples.push(sample);
    }

    for (name, family) in &exposition.families {
        if family.kind.is_empty() {
            return Err(format!("family {name} has HELP but no TYPE"));
        }
        if family.kind == "histogram" {
            check_histogram(name, family)?;
        }
    }
    Ok(exposition)
}

fn check_histogram(name: &str, family: &Family) -> Result<(), String> {
    let mut buckets: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let mut sums = HashSet::new();
    for sample in &family.samples {
        let mut labels = sample.labels.clone();
        if sample.name.ends_with("_bucket") {
            let le = labels.remove("le").unwrap_or_default();
            let bound = parse_value(&le).ok_or_else(|| format!("{name}: invalid le {le:?}"))?;
            buckets
                .entry(labels)
                .or_default()
                .push((bound, sample.value));
        } else if sample.name.ends_with("_count") {
            counts.insert(labels, sample.value);
        } else {
            sums.insert(labels);
        }
    }
    for (labels, bounds) in &buckets {
        for pair in bounds.windows(2) {
            let increasing = pair[0].0.partial_cmp(&pair[1].0) == Some(std::cmp::Ordering::Less);
            if !increasing || pair[0].1 > pair[1].1 {
                return Err(format!(
                    "{name} {labels:?}: buckets are not cumulative: {bounds:?}"
                ));
            }
        }
        let last = bounds.last().ok_or_else(|| format!("{name}: no buckets"))?;
        if last.0 != f64::INFINITY {
            return Err(format!("{name} {labels:?}: last bucket is not +Inf"));
        }
        if counts.get(labels) != Some(&last.1) {
            return Err(format!(
                "{name} {labels:?}: +Inf bucket differs from _count"
            ));
        }
        if !sums.contains(labels) {
            return Err(format!("{name} {labels:?}: no _sum"));
        }
    }
    Ok(())
}

/// Runs `promtool check metrics` on `text` and fails on any problem it reports.
///
/// The binary is `promtool` on the `PATH`, or the one the `PROMTOOL` variable names.
/// When it is not installed the check fails if `CI` is set and is skipped with a message
/// otherwise. Debian and Ubuntu ship it in the `prometheus` package.
pub fn promtool_check(text: &str) {
    let promtool = std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".to_owned());
    let child = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "promtool is not installed but CI is set; install the prometheus package"
            );
            eprintln!(
                "skipping promtool check: promtool not found (install the prometheus package)"
            );
            return;
        }
        Err(error) => panic!("could not run {promtool}: {error}"),
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes())
        .expect("promtool reads the exposition");
    let output = child.wait_with_output().expect("promtool finishes");
    assert!(
        output.status.success(),
        "promtool check metrics failed ({}):\n{}{}\n--- exposition ---\n{text}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// A job of an episode titled `title` in the podcast with feed URL `feed`.
pub fn job(feed: &str, title: &str) -> EpisodeJob {
    let podcast = Podcast::new(None, Some(feed.to_owned()), format!("Podcast at {feed}"));
    let key = EpisodeKey::Guid {
        guid: title.to_owned(),
    };
    let episode = Episode::new(podcast.id, key, title);
    EpisodeJob {
        podcast: Arc::new(podcast),
        episode,
    }
}
