use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::ProviderResult;

/// One completion request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// Model name as the server lists it.
    pub model: String,
    /// System prompt.
    pub system: Option<String>,
    /// User prompt.
    pub prompt: String,
    /// JSON schema the completion must follow, when the server supports structured output.
    pub json_schema: Option<serde_json::Value>,
    /// Maximum number of output tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature; 0 for the most deterministic output.
    pub temperature: Option<f32>,
}

/// Token counts reported by the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
}

/// The completion returned for a [`CompletionRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// The model that generated the completion, as reported by the server.
    pub model: String,
    /// Token usage.
    pub usage: TokenUsage,
}

/// A large language model behind a chat-completion API.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait LlmClient: Send + Sync {
    /// The provider name used as `gen_ai.system` (`openai`, `ollama`, `gemini`, ...).
    fn system(&self) -> &str;

    /// Sends one completion request and returns the text and token usage.
    ///
    /// # Errors
    /// `Timeout` or `Unavailable` (temporary) when the server does not answer,
    /// `LimitExceeded` when it rate-limits, `PermissionDenied` on rejected credentials,
    /// `InvalidInput` when the server rejects the request.
    async fn complete(&self, request: &CompletionRequest) -> ProviderResult<Completion>;
}
