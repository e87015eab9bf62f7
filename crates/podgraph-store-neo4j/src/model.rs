//! The node labels and relationship types of the graph model, in the order `stats`
//! reports them (see the table in `podgraph_core::model`). These constants are the only
//! labels and types ever formatted into Cypher text.

/// Node labels of the graph model.
pub(crate) const NODE_LABELS: [&str; 9] = [
    "Podcast", "Episode", "Segment", "Chapter", "Entity", "Person", "Topic", "Quote", "Insight",
];

/// Relationship types of the graph model.
pub(crate) const RELATIONSHIP_TYPES: [&str; 14] = [
    "HAS_EPISODE",
    "HAS_SEGMENT",
    "NEXT",
    "HAS_CHAPTER",
    "SPOKEN_BY",
    "HOSTS",
    "GUEST_OF",
    "MENTIONS",
    "DISCUSSES",
    "SAID",
    "FROM_SEGMENT",
    "SUPPORTED_BY",
    "ABOUT",
    "RELATED_TO",
];
