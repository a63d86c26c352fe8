//! Character encodings of XML documents: what the byte-order mark or the XML declaration
//! says the bytes are, decoded to the UTF-8 text the parser reads. UTF-8 (the default),
//! UTF-16 with a byte-order mark, ISO-8859-1 and US-ASCII are understood; anything else is
//! refused with its name.

use std::borrow::Cow;

/// Decodes `input` to text as its byte-order mark or XML declaration says.
pub fn decode(input: &[u8]) -> Result<Cow<'_, str>, String> {
    if let Some(rest) = input.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest);
    }
    if let Some(rest) = input.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = input.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    match declared_encoding(input).map(|name| name.to_ascii_lowercase()) {
        None => utf8(input),
        Some(name) => match name.as_str() {
            "utf-8" | "utf8" => utf8(input),
            "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "us-ascii" | "ascii" => {
                Ok(Cow::Owned(input.iter().map(|&byte| byte as char).collect()))
            }
            other => Err(format!("unsupported encoding '{other}'")),
        },
    }
}

fn utf8(input: &[u8]) -> Result<Cow<'_, str>, String> {
    std::str::from_utf8(input)
        .map(Cow::Borrowed)
        .map_err(|error| format!("input is not valid UTF-8 (at byte {})", error.valid_up_to()))
}

fn utf16(input: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Cow<'_, str>, String> {
    let units = input.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map(Cow::Owned)
        .map_err(|_| "input is not valid UTF-16".to_owned())
}

/// The `encoding` of the XML declaration, if the document starts with one.
fn declared_encoding(input: &[u8]) -> Option<&str> {
    let declaration = input.strip_prefix(b"<?xml")?;
    let end = declaration.windows(2).position(|w| w == b"?>")?;
    let declaration = std::str::from_utf8(&declaration[..end]).ok()?;
    let after = declaration.split("encoding").nth(1)?;
    let value = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    value[1..].split(quote).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_the_declaration_or_mark_says() {
        assert_eq!(decode(b"<a/>").unwrap(), "<a/>");
        let latin = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9</a>";
        assert!(decode(latin).unwrap().ends_with("<a>\u{e9}</a>"));
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>").unwrap(), "<a/>");
        assert_eq!(decode(b"\xFF\xFE<\0a\0/\0>\0").unwrap(), "<a/>");
        assert!(decode(b"<?xml version=\"1.0\" encoding=\"EBCDIC\"?><a/>").is_err());
        assert!(decode(b"<a>\xe9</a>").is_err());
    }
}
