//! Speaker labels and `podcast:person` entries as person entities.

/// Words that make up generic diarisation labels (`SPEAKER_1`, `Speaker 2`, `Unknown`,
/// `Host`). A label made only of these words, digits and punctuation names nobody.
const GENERIC_LABEL_WORDS: &[&str] = &[
    "speaker",
    "spk",
    "spkr",
    "unknown",
    "unidentified",
    "host",
    "cohost",
    "co",
    "guest",
    "interviewer",
    "interviewee",
    "narrator",
    "announcer",
    "voice",
    "voiceover",
    "moderator",
    "caller",
    "participant",
    "audience",
    "crowd",
    "member",
    "male",
    "female",
    "man",
    "woman",
    "all",
    "both",
    "everyone",
    "multiple",
    "other",
    "others",
    "person",
    "presenter",
    "reporter",
    "sponsor",
    "ad",
    "music",
    "s",
    "sp",
];

/// Cleans a speaker label into a person name: a trailing role in brackets
/// (`Pat Ryan (Host)`), a trailing colon and extra spaces are removed. Returns `None` for
/// generic diarisation labels, single letters and labels without letters.
pub(crate) fn person_name_of_label(label: &str) -> Option<String> {
    let mut name = label.trim().trim_end_matches(':').trim();
    if let Some(open) = name.find(['(', '['])
        && open > 0
    {
        name = name[..open].trim();
    }
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if is_generic_label(&name) {
        None
    } else {
        Some(name)
    }
}

fn is_generic_label(name: &str) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        return true;
    }
    if words.len() == 1 && words[0].chars().count() == 1 {
        return true;
    }
    words.iter().all(|word| GENERIC_LABEL_WORDS.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_labels_name_nobody() {
        for label in [
            "SPEAKER_1",
            "Speaker 2",
            "speaker-03",
            "Unknown",
            "Host",
            "Co-Host",
            "Guest 2",
            "A",
            "S1",
            "42",
            "",
            "  ",
        ] {
            assert_eq!(person_name_of_label(label), None, "{label:?}");
        }
    }

    #[test]
    fn named_labels_are_cleaned() {
        assert_eq!(
            person_name_of_label("Pat Ryan (Host)").as_deref(),
            Some("Pat Ryan")
        );
        assert_eq!(person_name_of_label("Travis:").as_deref(), Some("Travis"));
        assert_eq!(
            person_name_of_label(" Dave   Jones ").as_deref(),
            Some("Dave Jones")
        );
        assert_eq!(person_name_of_label("Sam").as_deref(), Some("Sam"));
    }
}
