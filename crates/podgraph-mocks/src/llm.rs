//! [`ScriptedLlm`]: an [`LlmClient`] that replays scripted completions.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use podgraph_core::provider::{Completion, CompletionRequest, LlmClient, TokenUsage};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};

const OPERATION: &str = "llm.complete";

/// A scripted outcome of one call.
#[derive(Clone, Debug, PartialEq)]
enum Reply {
    Text(String),
    Failure { kind: ErrorKind, message: String },
}

#[derive(Default)]
struct Script {
    /// Replies chosen by a substring of the system or user prompt, checked in order.
    rules: Vec<(String, Reply)>,
    /// Replies used in order when no rule matches.
    queue: VecDeque<Reply>,
    requests: Vec<CompletionRequest>,
    usage: TokenUsage,
}

/// An [`LlmClient`] that returns scripted completions and records every request.
///
/// For each call, the first rule added with [`ScriptedLlm::reply_when`] or
/// [`ScriptedLlm::fail_when`] whose substring occurs in the system or user prompt decides
/// the outcome, and the rule stays in place. Otherwise the next reply queued with
/// [`ScriptedLlm::push_reply`] or [`ScriptedLlm::push_failure`] is used and consumed. A call
/// with nothing scripted fails with `Unexpected`.
///
/// Token usage counts whitespace-separated words, an approximation of real tokenizers:
/// input is the system and user prompt, output is the reply text.
pub struct ScriptedLlm {
    system: String,
    script: Mutex<Script>,
}

impl Default for ScriptedLlm {
    fn default() -> Self {
        Self::new()
    }
}

impl ScriptedLlm {
    /// Creates an empty script that reports `scripted` as its `gen_ai.system`.
    pub fn new() -> Self {
        Self {
            system: "scripted".to_owned(),
            script: Mutex::new(Script::default()),
        }
    }

    /// Sets the provider name returned by [`LlmClient::system`].
    pub fn with_system(mut self, system: impl Into<String>) -> Self {
        self.system = system.into();
        self
    }

    /// Queues a completion text for the next call that no rule matches.
    pub fn push_reply(&self, text: impl Into<String>) -> &Self {
        self.script().queue.push_back(Reply::Text(text.into()));
        self
    }

    /// Queues a failure of `kind` for the next call that no rule matches.
    pub fn push_failure(&self, kind: ErrorKind, message: impl Into<String>) -> &Self {
        self.script().queue.push_back(Reply::Failure {
            kind,
            message: message.into(),
        });
        self
    }

    /// Answers every call whose system or user prompt contains `needle` with `text`.
    pub fn reply_when(&self, needle: impl Into<String>, text: impl Into<String>) -> &Self {
        self.script()
            .rules
            .push((needle.into(), Reply::Text(text.into())));
        self
    }

    /// Fails every call whose system or user prompt contains `needle` with `kind`.
    pub fn fail_when(
        &self,
        needle: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> &Self {
        self.script().rules.push((
            needle.into(),
            Reply::Failure {
                kind,
                message: message.into(),
            },
        ));
        self
    }

    /// Returns every request received, in order, failed calls included.
    pub fn requests(&self) -> Vec<CompletionRequest> {
        self.script().requests.clone()
    }

    /// Returns the token usage summed over the successful calls.
    pub fn usage(&self) -> TokenUsage {
        self.script().usage
    }

    /// Returns the number of queued replies not used yet.
    pub fn remaining(&self) -> usize {
        self.script().queue.len()
    }

    // A panic elsewhere cannot leave the script half-updated: each method changes it in
    // one step, so a poisoned lock is still consistent.
    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn count_words(text: &str) -> u64 {
    u64::try_from(text.split_whitespace().count()).unwrap_or(u64::MAX)
}

fn prompt_preview(prompt: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut preview: String = prompt.chars().take(MAX_CHARS).collect();
    if prompt.chars().nth(MAX_CHARS).is_some() {
        preview.push('…');
    }
    preview
}

#[async_trait]
impl LlmClient for ScriptedLlm {
    fn system(&self) -> &str {
        &self.system
    }

    async fn complete(&self, request: &CompletionRequest) -> ProviderResult<Completion> {
        let mut script = self.script();
        script.requests.push(request.clone());

        let system_prompt = request.system.as_deref().unwrap_or_default();
        let matched = script
            .rules
            .iter()
            .find(|(needle, _)| request.prompt.contains(needle) || system_prompt.contains(needle))
            .map(|(_, reply)| reply.clone());
        let reply = match matched {
            Some(reply) => reply,
            None => script.queue.pop_front().ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Unexpected,
                    OPERATION,
                    format!(
                        "no scripted completion for prompt \"{}\"; queue a reply or add a rule",
                        prompt_preview(&request.prompt)
                    ),
                )
            })?,
        };

        match reply {
            Reply::Failure { kind, message } => Err(ProviderError::new(kind, OPERATION, message)),
            Reply::Text(text) => {
                let usage = TokenUsage {
                    input_tokens: count_words(system_prompt)
                        .saturating_add(count_words(&request.prompt)),
                    output_tokens: count_words(&text),
                };
                script.usage.input_tokens =
                    script.usage.input_tokens.saturating_add(usage.input_tokens);
                script.usage.output_tokens = script
                    .usage
                    .output_tokens
                    .saturating_add(usage.output_tokens);
                Ok(Completion {
                    text,
                    model: request.model.clone(),
                    usage,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(prompt: &str) -> CompletionRequest {
        CompletionRequest {
            model: "test-model".to_owned(),
            system: Some("You extract entities.".to_owned()),
            prompt: prompt.to_owned(),
            json_schema: None,
            max_tokens: Some(100),
            temperature: Some(0.0),
        }
    }

    #[tokio::test]
    async fn queued_replies_come_back_in_order() {
        let llm = ScriptedLlm::new();
        llm.push_reply("first").push_reply("second");

        assert_eq!(llm.complete(&request("a")).await.unwrap().text, "first");
        assert_eq!(llm.complete(&request("b")).await.unwrap().text, "second");
        assert_eq!(llm.remaining(), 0);
    }

    #[tokio::test]
    async fn rule_by_prompt_substring_wins_and_stays() {
        let llm = ScriptedLlm::new();
        llm.push_reply("queued");
        llm.reply_when("chunk 2", "{\"entities\":[]}");

        for _ in 0..2 {
            let completion = llm
                .complete(&request("extract chunk 2 of 3"))
                .await
                .unwrap();
            assert_eq!(completion.text, "{\"entities\":[]}");
        }
        assert_eq!(
            llm.complete(&request("chunk 1")).await.unwrap().text,
            "queued"
        );
    }

    #[tokio::test]
    async fn rule_matches_system_prompt_too() {
        let llm = ScriptedLlm::new();
        llm.reply_when("extract entities", "matched");
        assert_eq!(llm.complete(&request("x")).await.unwrap().text, "matched");
    }

    #[tokio::test]
    async fn scripted_failure_has_its_kind() {
        let llm = ScriptedLlm::new();
        llm.push_failure(ErrorKind::LimitExceeded, "rate limited (429)");
        llm.fail_when("secret", ErrorKind::PermissionDenied, "api key rejected");

        let error = llm.complete(&request("a")).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
        assert_eq!(error.operation(), "llm.complete");
        assert!(!error.is_temporary());

        let error = llm
            .complete(&request("the secret prompt"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    }

    #[tokio::test]
    async fn unscripted_call_fails_naming_the_prompt() {
        let llm = ScriptedLlm::new();
        let error = llm.complete(&request("what is left")).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unexpected);
        assert!(error.message().contains("what is left"), "{error}");
    }

    #[tokio::test]
    async fn requests_are_recorded_including_failures() {
        let llm = ScriptedLlm::new().with_system("openai");
        llm.push_failure(ErrorKind::Timeout, "timed out")
            .push_reply("ok");
        let _ = llm.complete(&request("one")).await;
        let _ = llm.complete(&request("two")).await;

        let prompts: Vec<String> = llm.requests().into_iter().map(|r| r.prompt).collect();
        assert_eq!(prompts, ["one", "two"]);
        assert_eq!(llm.system(), "openai");
    }

    #[tokio::test]
    async fn usage_counts_words_of_prompts_and_replies() {
        let llm = ScriptedLlm::new();
        llm.push_reply("three word reply").push_reply("two words");

        let completion = llm.complete(&request("a b")).await.unwrap();
        // "You extract entities." has three words, the prompt two.
        assert_eq!(completion.usage.input_tokens, 5);
        assert_eq!(completion.usage.output_tokens, 3);
        assert_eq!(completion.model, "test-model");

        llm.complete(&request("c")).await.unwrap();
        assert_eq!(
            llm.usage(),
            TokenUsage {
                input_tokens: 9,
                output_tokens: 5
            }
        );
    }
}
