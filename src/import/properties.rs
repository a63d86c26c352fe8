//! Java properties files, as ODE writes its configuration (`ode-axis2.properties`,
//! `*.endpoint`): `key=value`, `key: value` or `key value` lines, `#` and `!` comments, a
//! trailing backslash continuing a value on the next line.

use super::files::Input;
use super::ImportError;

/// One property, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Property {
    pub(super) key: String,
    pub(super) value: String,
    pub(super) line: u32,
}

impl Property {
    /// The value, a whole number; else an error naming `input` and the line.
    pub(super) fn whole(&self, input: &Input) -> Result<i64, ImportError> {
        self.value
            .parse()
            .map_err(|_| self.malformed(input, "a whole number"))
    }

    /// The value, a positive whole number; else an error naming `input` and the line.
    pub(super) fn positive(&self, input: &Input) -> Result<u64, ImportError> {
        self.value
            .parse()
            .ok()
            .filter(|&number| number > 0)
            .ok_or_else(|| self.malformed(input, "a positive whole number"))
    }

    fn malformed(&self, input: &Input, expected: &str) -> ImportError {
        ImportError::Malformed {
            path: input.path.clone(),
            line: self.line,
            message: format!("{} '{}' is not {expected}", self.key, self.value),
        }
    }
}

/// Reads the properties of `input`, in file order.
pub(super) fn read(input: &Input) -> Result<Vec<Property>, ImportError> {
    let text = std::fs::read_to_string(&input.path).map_err(|problem| ImportError::Read {
        path: input.path.clone(),
        problem,
    })?;
    Ok(parse(&text))
}

/// The properties of `text`.
fn parse(text: &str) -> Vec<Property> {
    let mut properties = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let mut logical = line.trim_start().to_owned();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while logical.ends_with('\\') {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let split = logical.find(['=', ':', ' ', '\t']).unwrap_or(logical.len());
        let (key, rest) = logical.split_at(split);
        let rest = rest.trim_start();
        let value = rest
            .strip_prefix(['=', ':'])
            .unwrap_or(rest)
            .trim()
            .to_owned();
        properties.push(Property {
            key: key.to_owned(),
            value,
            line: index as u32 + 1,
        });
    }
    properties
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_comments_and_continuations() {
        let properties = parse("# comment\n! too\na=1\nb: two\nc three\nd = x, \\\n   y\n\ne\n");
        let read: Vec<(&str, &str, u32)> = properties
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str(), p.line))
            .collect();
        assert_eq!(
            read,
            [
                ("a", "1", 3),
                ("b", "two", 4),
                ("c", "three", 5),
                ("d", "x, y", 6),
                ("e", "", 9)
            ]
        );
    }
}
