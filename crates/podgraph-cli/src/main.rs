//! The `podgraph` command.

fn main() {}
