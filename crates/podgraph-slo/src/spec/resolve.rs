//! Turns the raw YAML into a validated [`SloSpec`], collecting every problem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::num::NonZeroUsize;
use std::time::Duration;

use super::raw::{RawAction, RawAlert, RawPolicy, RawSli, RawSlo, RawSpec, RawTrigger, RawWebhook};
use super::{
    Action, AlertRule, Component, DEFAULT_MIN_EVENTS, DEFAULT_RUNBOOK_BASE, DegradeSettings,
    EventSli, Period, Policy, REFERENCE_PERIOD, Sli, Slo, SloSpec, Threshold, Trigger,
    WebhookConfig, default_alerts,
};
use crate::decimal::Decimal;
use crate::duration::{format_duration, parse_duration};
use crate::error::{SloError, SloResult, SpecIssue};
use crate::events::{self, Measure};

/// The only spec format version so far.
const SPEC_VERSION: u32 = 1;

/// The shortest alert window: Prometheus needs two samples in a `rate()` range, and the
/// tracker counts in one-minute buckets by default.
const MIN_WINDOW: Duration = Duration::from_secs(60);

/// Maximum rolling period. The tracker keeps one bucket per minute of the period, so
/// this bounds its memory.
const MAX_PERIOD_DAYS: u64 = 90;

/// Longest SLO name; it becomes a label value and a document anchor.
const MAX_NAME_LEN: usize = 63;

const DAY: Duration = Duration::from_secs(86_400);

struct Resolver {
    issues: Vec<SpecIssue>,
}

/// The spec's `defaults` section, resolved.
#[derive(Clone, Copy)]
struct SpecDefaults {
    period: Period,
    min_events: u64,
}

impl Resolver {
    fn issue(&mut self, slo: Option<&str>, field: impl Into<String>, message: impl Into<String>) {
        self.issues.push(SpecIssue::new(slo, field, message));
    }
}

pub(super) fn resolve(raw: RawSpec, origin: &str) -> SloResult<SloSpec> {
    let mut resolver = Resolver { issues: Vec::new() };

    if let Some(version) = raw.version
        && version != SPEC_VERSION
    {
        resolver.issue(
            None,
            "version",
            format!("unsupported version {version}; this build reads version {SPEC_VERSION}"),
        );
    }
    let runbook_base = raw
        .runbook_base
        .unwrap_or_else(|| DEFAULT_RUNBOOK_BASE.to_owned());
    let default_period = match raw.defaults.period.as_deref() {
        None => Period::Rolling(REFERENCE_PERIOD),
        Some(text) => resolver
            .period(None, "defaults.period", text)
            .unwrap_or(Period::Rolling(REFERENCE_PERIOD)),
    };
    let default_min_events = match &raw.defaults.min_events {
        None => DEFAULT_MIN_EVENTS,
        Some(value) => resolver
            .min_events(None, "defaults.min_events", value)
            .unwrap_or(DEFAULT_MIN_EVENTS),
    };
    let defaults = SpecDefaults {
        period: default_period,
        min_events: default_min_events,
    };
    let notify = raw.notify.map(|notify| resolver.webhook(notify.webhook));

    let mut slos = Vec::new();
    for raw_slo in raw.slos {
        resolver.slo(
            raw_slo,
            defaults,
            &runbook_base,
            notify.is_some(),
            &mut slos,
        );
    }
    resolver.check_names(&slos);
    resolver.check_composites(&slos);

    if resolver.issues.is_empty() {
        Ok(SloSpec {
            origin: origin.to_owned(),
            runbook_base,
            notify,
            slos,
        })
    } else {
        Err(SloError::InvalidSpec {
            origin: origin.to_owned(),
            issues: resolver.issues,
        })
    }
}

fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && !name.ends_with('-')
        && !name.contains("--")
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

impl Resolver {
    fn period(&mut self, slo: Option<&str>, field: &str, text: &str) -> Option<Period> {
        if text == "calendar_month" {
            return Some(Period::CalendarMonth);
        }
        let length = match parse_duration(text) {
            Ok(length) => length,
            Err(message) => {
                self.issue(slo, field, format!("{message}, or write calendar_month"));
                return None;
            }
        };
        let whole_days = length.as_secs() % DAY.as_secs() == 0 && length.subsec_nanos() == 0;
        let days = length.as_secs() / DAY.as_secs();
        if !whole_days || days == 0 || days > MAX_PERIOD_DAYS {
            self.issue(
                slo,
                field,
                format!(
                    "period {text} must be a whole number of days from 1d to {MAX_PERIOD_DAYS}d, or calendar_month"
                ),
            );
            return None;
        }
        Some(Period::Rolling(length))
    }

    /// Reads a `min_events` value: a whole number of events, 0 or more.
    fn min_events(
        &mut self,
        slo: Option<&str>,
        field: &str,
        value: &serde_norway::Value,
    ) -> Option<u64> {
        use serde_norway::Value;

        if let Value::Number(number) = value
            && let Some(count) = number.as_u64()
        {
            return Some(count);
        }
        let display = match value {
            Value::Number(number) => number.to_string(),
            Value::String(text) => format!("\"{text}\""),
            _ => "the value".to_owned(),
        };
        self.issue(
            slo,
            field,
            format!(
                "{display} must be a whole number of valid events, 0 or more (0 turns the guard off)"
            ),
        );
        None
    }

    fn webhook(&mut self, raw: RawWebhook) -> WebhookConfig {
        let defaults = WebhookConfig::default();
        let config = WebhookConfig {
            url: raw.url,
            url_env: raw.url_env.unwrap_or(defaults.url_env),
            timeout: raw.timeout.map_or(defaults.timeout, |d| d.0),
            max_attempts: raw.max_attempts.unwrap_or(defaults.max_attempts),
            initial_backoff: raw
                .initial_backoff
                .map_or(defaults.initial_backoff, |d| d.0),
            max_backoff: raw.max_backoff.map_or(defaults.max_backoff, |d| d.0),
        };
        if config.max_attempts == 0 {
            self.issue(None, "notify.webhook.max_attempts", "must be at least 1");
        }
        if config.timeout.is_zero() {
            self.issue(None, "notify.webhook.timeout", "must be above zero");
        }
        if config.max_backoff < config.initial_backoff {
            self.issue(
                None,
                "notify.webhook.max_backoff",
                format!(
                    "{} is shorter than initial_backoff {}",
                    format_duration(config.max_backoff),
                    format_duration(config.initial_backoff)
                ),
            );
        }
        if let Some(url) = &config.url
            && let Err(message) = crate::policy::check_webhook_url(url)
        {
            self.issue(None, "notify.webhook.url", message);
        }
        if config.url_env.is_empty() {
            self.issue(
                None,
                "notify.webhook.url_env",
                "must name an environment variable",
            );
        }
        config
    }

    fn slo(
        &mut self,
        raw: RawSlo,
        defaults: SpecDefaults,
        runbook_base: &str,
        notify_configured: bool,
        out: &mut Vec<Slo>,
    ) {
        let name = raw.name.clone();
        let slo = Some(name.as_str());
        if !is_valid_name(&name) {
            self.issue(
                slo,
                "name",
                format!(
                    "\"{name}\" must be 1 to {MAX_NAME_LEN} lowercase letters, digits and single hyphens, starting with a letter"
                ),
            );
        }

        let objective_ok = raw.objective > Decimal::ZERO
            && raw.objective < Decimal::HUNDRED
            && raw.objective.percent_to_ratio().is_ok();
        if !objective_ok {
            self.issue(
                slo,
                "objective",
                format!(
                    "{} must be a percentage above 0 and below 100, such as 99.5",
                    raw.objective
                ),
            );
        }
        let objective = if objective_ok {
            raw.objective
        } else {
            Decimal::new(50, 0).unwrap_or(Decimal::ONE)
        };
        let budget = Decimal::ONE
            .checked_sub(objective.percent_to_ratio().unwrap_or(Decimal::ZERO))
            .unwrap_or(Decimal::ZERO);

        let period = match raw.period.as_deref() {
            None => defaults.period,
            Some(text) => self.period(slo, "period", text).unwrap_or(defaults.period),
        };

        let alerts = match &raw.alerts {
            None => {
                let alerts = default_alerts(period, budget);
                // An invalid objective was reported already; its stand-in value would
                // only add noise here.
                if objective_ok {
                    self.check_default_alerts(&name, &alerts, objective);
                }
                alerts
            }
            Some(raw_alerts) => self.alerts(&name, raw_alerts, period, budget, objective_ok),
        };
        let policies = self.policies(
            &name,
            &raw.policies,
            &alerts,
            notify_configured,
            defaults.min_events,
        );
        let runbook = raw
            .runbook
            .clone()
            .unwrap_or_else(|| format!("{runbook_base}#{name}"));

        let base = Slo {
            name: name.clone(),
            description: raw.description.clone(),
            sli: Sli::Composite(Vec::new()),
            objective,
            period,
            alerts,
            policies,
            runbook,
        };

        match (&raw.sli, &raw.composite) {
            (Some(_), Some(_)) => {
                self.issue(slo, "sli", "set either sli or composite, not both");
            }
            (None, None) => {
                self.issue(
                    slo,
                    "sli",
                    "missing: set sli (an event) or composite (other SLOs)",
                );
            }
            (None, Some(components)) => {
                if raw.template.is_some() {
                    self.issue(slo, "template", "a composite SLO cannot be a template");
                }
                let components = self.components(&name, components);
                out.push(Slo {
                    sli: Sli::Composite(components),
                    ..base
                });
            }
            (Some(sli), None) => match &raw.template {
                None => {
                    if let Some(sli) = self.event_sli(&name, sli, None) {
                        out.push(Slo {
                            sli: Sli::Events(sli),
                            ..base
                        });
                    }
                }
                Some(template) => {
                    if template.values.is_empty() {
                        self.issue(slo, "template.values", "list at least one value");
                    }
                    for (index, value) in template.values.iter().enumerate() {
                        let field = format!("template.values[{index}]");
                        if !is_valid_name(value) {
                            self.issue(
                                slo,
                                field,
                                format!(
                                    "\"{value}\" must be lowercase letters, digits and single hyphens"
                                ),
                            );
                            continue;
                        }
                        let instance = Some((template.label.as_str(), value.as_str()));
                        if let Some(event_sli) = self.event_sli(&name, sli, instance) {
                            let description = if base.description.is_empty() {
                                format!("{} {value}", template.label)
                            } else {
                                format!("{} ({} {value})", base.description, template.label)
                            };
                            out.push(Slo {
                                name: format!("{name}-{value}"),
                                description,
                                sli: Sli::Events(event_sli),
                                ..base.clone()
                            });
                        }
                    }
                }
            },
        }
    }

    fn event_sli(
        &mut self,
        slo: &str,
        raw: &RawSli,
        instance: Option<(&str, &str)>,
    ) -> Option<EventSli> {
        let Some(event) = events::lookup(&raw.event) else {
            self.issue(
                Some(slo),
                "sli.event",
                format!(
                    "unknown event \"{}\"; known events: {}",
                    raw.event,
                    events::known_names()
                ),
            );
            return None;
        };

        let mut labels: BTreeMap<String, String> = raw.labels.clone();
        if let Some((label, value)) = instance {
            if labels.insert(label.to_owned(), value.to_owned()).is_some() {
                self.issue(
                    Some(slo),
                    "template.label",
                    format!("label \"{label}\" is set both in sli.labels and by the template"),
                );
            }
        }
        for label in labels.keys() {
            if !event.labels.contains(&label.as_str()) {
                let allowed = if event.labels.is_empty() {
                    "it has no labels".to_owned()
                } else {
                    format!("its labels are {}", event.labels.join(", "))
                };
                let field = if instance.is_some_and(|(name, _)| name == label) {
                    "template.label".to_owned()
                } else {
                    format!("sli.labels.{label}")
                };
                self.issue(
                    Some(slo),
                    field,
                    format!("event {} has no label \"{label}\"; {allowed}", event.name),
                );
            }
        }

        let threshold = self.threshold(slo, event, raw.threshold.as_ref());
        Some(EventSli {
            event,
            threshold,
            labels,
        })
    }

    fn threshold(
        &mut self,
        slo: &str,
        event: &events::EventDef,
        raw: Option<&serde_norway::Value>,
    ) -> Option<Threshold> {
        use serde_norway::Value;

        let field = "sli.threshold";
        match (event.measure, raw) {
            (Measure::Outcome, None) => None,
            (Measure::Outcome, Some(_)) => {
                self.issue(
                    Some(slo),
                    field,
                    format!(
                        "event {} is judged good or bad when emitted; remove the threshold",
                        event.name
                    ),
                );
                None
            }
            (Measure::Seconds | Measure::Usd, None) => {
                let example = if event.measure == Measure::Seconds {
                    "a duration such as 10m"
                } else {
                    "an amount in US dollars such as 0.05"
                };
                self.issue(
                    Some(slo),
                    field,
                    format!("missing: event {} needs {example}", event.name),
                );
                None
            }
            (Measure::Seconds, Some(value)) => {
                let parsed = match value {
                    Value::String(text) => parse_duration(text),
                    other => Err(format!(
                        "{other:?} is not a duration; write it like 500ms or 10m"
                    )),
                };
                match parsed {
                    Ok(duration) if !duration.is_zero() => Some(Threshold::Seconds(duration)),
                    Ok(_) => {
                        self.issue(Some(slo), field, "must be above zero");
                        None
                    }
                    Err(message) => {
                        self.issue(Some(slo), field, message);
                        None
                    }
                }
            }
            (Measure::Usd, Some(value)) => {
                let parsed = match value {
                    Value::Number(number) => number
                        .as_f64()
                        .ok_or_else(|| format!("{number} is not a number"))
                        .and_then(|n| Decimal::from_f64(n).map_err(|e| e.to_string())),
                    Value::String(text) => text.parse::<Decimal>().map_err(|e| e.to_string()),
                    other => Err(format!("{other:?} is not an amount such as 0.05")),
                };
                match parsed {
                    Ok(amount) if amount.is_positive() => Some(Threshold::Usd(amount)),
                    Ok(amount) => {
                        self.issue(Some(slo), field, format!("{amount} must be above zero"));
                        None
                    }
                    Err(message) => {
                        self.issue(Some(slo), field, message);
                        None
                    }
                }
            }
        }
    }

    fn components(&mut self, slo: &str, raw: &[super::raw::RawComponent]) -> Vec<Component> {
        if raw.is_empty() {
            self.issue(Some(slo), "composite", "list at least one component SLO");
        }
        let mut seen = HashSet::new();
        let mut components = Vec::new();
        for (index, component) in raw.iter().enumerate() {
            if !component.weight.is_positive() {
                self.issue(
                    Some(slo),
                    format!("composite[{index}].weight"),
                    format!("{} must be above zero", component.weight),
                );
            }
            if !seen.insert(component.slo.clone()) {
                self.issue(
                    Some(slo),
                    format!("composite[{index}].slo"),
                    format!("\"{}\" is listed twice", component.slo),
                );
            }
            components.push(Component {
                slo: component.slo.clone(),
                weight: component.weight,
            });
        }
        components
    }

    fn check_default_alerts(&mut self, slo: &str, alerts: &[AlertRule], objective: Decimal) {
        for alert in alerts {
            if alert.error_ratio_threshold >= Decimal::ONE {
                self.issue(
                    Some(slo),
                    "alerts",
                    format!(
                        "the default alert {} needs an error ratio of {} (burn rate {} with objective {objective} %), which can never happen; list alerts with lower burn rates",
                        alert.name, alert.error_ratio_threshold, alert.burn_rate
                    ),
                );
            }
        }
    }

    fn alerts(
        &mut self,
        slo: &str,
        raw: &[RawAlert],
        period: Period,
        budget: Decimal,
        objective_ok: bool,
    ) -> Vec<AlertRule> {
        let longest = match period {
            Period::Rolling(length) => length,
            // The shortest month bounds the windows of a calendar-month SLO.
            Period::CalendarMonth => Duration::from_secs(28 * 86_400),
        };
        let mut names = HashSet::new();
        let mut alerts = Vec::new();
        for (index, alert) in raw.iter().enumerate() {
            let at = |name: &str| format!("alerts[{index}].{name}");
            if !is_valid_name(&alert.name) {
                self.issue(
                    Some(slo),
                    at("name"),
                    format!(
                        "\"{}\" must be lowercase letters, digits and single hyphens",
                        alert.name
                    ),
                );
            }
            if !names.insert(alert.name.clone()) {
                self.issue(
                    Some(slo),
                    at("name"),
                    format!("\"{}\" is used twice", alert.name),
                );
            }
            let (long, short) = (alert.long_window.0, alert.short_window.0);
            if long >= longest {
                self.issue(
                    Some(slo),
                    at("long_window"),
                    format!(
                        "{} must be shorter than the period {}",
                        format_duration(long),
                        format_duration(longest)
                    ),
                );
            }
            if short >= long {
                self.issue(
                    Some(slo),
                    at("short_window"),
                    format!(
                        "{} must be shorter than the long window {}",
                        format_duration(short),
                        format_duration(long)
                    ),
                );
            }
            if short < MIN_WINDOW {
                self.issue(
                    Some(slo),
                    at("short_window"),
                    format!("{} must be at least 1m", format_duration(short)),
                );
            }
            let threshold = alert.burn_rate.checked_mul(budget);
            match &threshold {
                _ if !alert.burn_rate.is_positive() => self.issue(
                    Some(slo),
                    at("burn_rate"),
                    format!("{} must be above zero", alert.burn_rate),
                ),
                Ok(threshold) if objective_ok && *threshold >= Decimal::ONE => self.issue(
                    Some(slo),
                    at("burn_rate"),
                    format!(
                        "{} times the error budget {budget} is {threshold}, an error ratio that can never be exceeded",
                        alert.burn_rate
                    ),
                ),
                Err(error) => self.issue(Some(slo), at("burn_rate"), error.to_string()),
                Ok(_) => {}
            }
            alerts.push(AlertRule {
                name: alert.name.clone(),
                severity: alert.severity,
                long_window: long,
                short_window: short,
                burn_rate: alert.burn_rate,
                for_duration: alert.for_duration.map_or(Duration::ZERO, |d| d.0),
                error_ratio_threshold: threshold.unwrap_or(Decimal::ONE),
            });
        }
        alerts
    }

    fn policies(
        &mut self,
        slo: &str,
        raw: &[RawPolicy],
        alerts: &[AlertRule],
        notify_configured: bool,
        default_min_events: u64,
    ) -> Vec<Policy> {
        let mut names = HashSet::new();
        let mut policies = Vec::new();
        for (index, policy) in raw.iter().enumerate() {
            let at = |name: &str| format!("policies[{index}].{name}");
            let action = match policy.action {
                RawAction::Warn => Action::Warn,
                RawAction::Notify => Action::Notify,
                RawAction::Freeze => Action::Freeze,
                RawAction::Degrade => Action::Degrade(self.degrade(slo, index, policy)),
            };
            if !matches!(policy.action, RawAction::Degrade) && policy.degrade.is_some() {
                self.issue(
                    Some(slo),
                    at("degrade"),
                    format!(
                        "only a degrade action takes degrade settings, not {}",
                        action.as_str()
                    ),
                );
            }
            if matches!(action, Action::Notify) && !notify_configured {
                self.issue(
                    Some(slo),
                    at("action"),
                    "notify needs a top-level notify.webhook section",
                );
            }

            let name = policy
                .name
                .clone()
                .unwrap_or_else(|| format!("{}-{index}", action.as_str()));
            if !is_valid_name(&name) {
                self.issue(
                    Some(slo),
                    at("name"),
                    format!("\"{name}\" must be lowercase letters, digits and single hyphens"),
                );
            }
            if !names.insert(name.clone()) {
                self.issue(Some(slo), at("name"), format!("\"{name}\" is used twice"));
            }

            let trigger = self.trigger(slo, &at("when"), &policy.when, alerts);
            self.check_release(slo, &at("release_at"), &trigger, policy.release_at);
            let min_events = match (&policy.min_events, trigger.is_budget()) {
                (None, true) => default_min_events,
                (None, false) => 0,
                (Some(value), true) => self
                    .min_events(Some(slo), &at("min_events"), value)
                    .unwrap_or(default_min_events),
                (Some(_), false) => {
                    self.issue(
                        Some(slo),
                        at("min_events"),
                        "min_events applies to budget triggers only; an alert trigger fires only when both of its windows hold events",
                    );
                    0
                }
            };
            policies.push(Policy {
                name,
                trigger,
                action,
                release_at: policy.release_at,
                min_events,
            });
        }
        policies
    }

    fn degrade(&mut self, slo: &str, index: usize, policy: &RawPolicy) -> DegradeSettings {
        let field = format!("policies[{index}].degrade");
        let Some(raw) = &policy.degrade else {
            self.issue(
                Some(slo),
                field,
                "missing: a degrade action needs extraction: local or max_concurrency",
            );
            return DegradeSettings::default();
        };
        if raw.extraction.is_none() && raw.max_concurrency.is_none() {
            self.issue(
                Some(slo),
                field.clone(),
                "set extraction: local, max_concurrency, or both",
            );
        }
        let max_concurrency = raw.max_concurrency.and_then(|limit| {
            let limit = NonZeroUsize::new(limit);
            if limit.is_none() {
                self.issue(
                    Some(slo),
                    format!("{field}.max_concurrency"),
                    "must be at least 1",
                );
            }
            limit
        });
        DegradeSettings {
            extraction: raw.extraction,
            max_concurrency,
        }
    }

    fn trigger(
        &mut self,
        slo: &str,
        field: &str,
        raw: &RawTrigger,
        alerts: &[AlertRule],
    ) -> Trigger {
        match raw {
            RawTrigger::BudgetExhausted => Trigger::BudgetExhausted,
            RawTrigger::BudgetRemainingBelow(percent) => {
                if !percent.is_positive() || *percent > Decimal::HUNDRED {
                    self.issue(
                        Some(slo),
                        format!("{field}.budget_remaining_below"),
                        format!("{percent} must be a percentage above 0 and at most 100"),
                    );
                }
                Trigger::BudgetRemainingBelow(*percent)
            }
            RawTrigger::AlertFiring(alert) => {
                if !alerts.iter().any(|rule| &rule.name == alert) {
                    let known: Vec<&str> = alerts.iter().map(|rule| rule.name.as_str()).collect();
                    self.issue(
                        Some(slo),
                        format!("{field}.alert_firing"),
                        format!(
                            "unknown alert \"{alert}\"; this SLO's alerts are {}",
                            known.join(", ")
                        ),
                    );
                }
                Trigger::AlertFiring(alert.clone())
            }
            RawTrigger::SeverityFiring(severity) => {
                if !alerts.iter().any(|rule| rule.severity == *severity) {
                    self.issue(
                        Some(slo),
                        format!("{field}.severity_firing"),
                        format!("this SLO has no {} alert", severity.as_str()),
                    );
                }
                Trigger::SeverityFiring(*severity)
            }
        }
    }

    fn check_release(
        &mut self,
        slo: &str,
        field: &str,
        trigger: &Trigger,
        release_at: Option<Decimal>,
    ) {
        let Some(release) = release_at else { return };
        let floor = match trigger {
            Trigger::BudgetExhausted => Decimal::ZERO,
            Trigger::BudgetRemainingBelow(percent) => *percent,
            Trigger::AlertFiring(_) | Trigger::SeverityFiring(_) => {
                self.issue(
                    Some(slo),
                    field,
                    "release_at applies to budget triggers only; alert triggers release when the alert resolves",
                );
                return;
            }
        };
        if release <= floor || release > Decimal::HUNDRED {
            self.issue(
                Some(slo),
                field,
                format!("{release} must be above the trigger's {floor} % and at most 100"),
            );
        }
    }

    fn check_names(&mut self, slos: &[Slo]) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for slo in slos {
            let count = seen.entry(slo.name.as_str()).or_insert(0);
            *count += 1;
            if *count == 2 {
                self.issue(
                    Some(&slo.name),
                    "name",
                    "is used by more than one SLO (template instances are named <template>-<value>)",
                );
            }
        }
    }

    fn check_composites(&mut self, slos: &[Slo]) {
        let kinds: HashMap<&str, bool> = slos
            .iter()
            .map(|slo| (slo.name.as_str(), matches!(slo.sli, Sli::Composite(_))))
            .collect();
        for slo in slos {
            for (index, component) in slo.components().iter().enumerate() {
                let field = format!("composite[{index}].slo");
                match kinds.get(component.slo.as_str()) {
                    None => self.issue(
                        Some(&slo.name),
                        field,
                        format!("unknown SLO \"{}\"", component.slo),
                    ),
                    Some(true) => self.issue(
                        Some(&slo.name),
                        field,
                        format!(
                            "\"{}\" is a composite; components must be event-based SLOs",
                            component.slo
                        ),
                    ),
                    Some(false) => {}
                }
            }
        }
    }
}
