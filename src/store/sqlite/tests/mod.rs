//! Tests of what is particular to the SQLite store: opening files and URLs, connection
//! settings, schema versioning and the in-memory store. What every backend does alike is
//! tested in `store::tests`.

mod open;
