//! How the listing commands print what the management API answered: a table for people,
//! or with `--json` one JSON array of the listed items, each as the API answers it, for
//! scripts. A write that fails because the reader has gone is an I/O error, which the
//! command line takes as the end of the listing (see [`super::run`]).

use std::io::Write;

use comfy_table::{presets, CellAlignment, Table};

/// A table without borders under the header `header`: a line per row, its columns lined
/// up two spaces apart; the columns `right` (by index) are aligned to the right.
pub(super) fn table(header: &[&str], right: &[usize]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_header(header.to_vec());
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    for &index in right {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// The text of a cell that may be empty: `-` when it is.
pub(super) fn or_dash(value: Option<&str>) -> &str {
    value.filter(|value| !value.is_empty()).unwrap_or("-")
}

/// Prints `table` on standard output, without trailing spaces.
pub(super) fn print_table(table: &Table) -> std::io::Result<()> {
    writeln!(std::io::stdout().lock(), "{}", table.trim_fmt())
}

/// Prints `items` on standard output as one JSON array.
pub(super) fn print_json<T: serde::Serialize>(items: &[T]) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(items)?;
    writeln!(std::io::stdout().lock(), "{text}")
}
