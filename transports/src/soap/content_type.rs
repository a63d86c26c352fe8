//! Reading the HTTP Content-Type of a SOAP message: which SOAP version it announces, and the
//! SOAP 1.2 `action` parameter.

use crate::error::SoapError;
use crate::soap::SoapVersion;

/// What a SOAP content type says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    pub version: SoapVersion,
    pub action: Option<String>,
}

impl ContentType {
    /// Parses `text/xml` or `application/soap+xml`, with optional parameters; refuses other
    /// media types and charsets other than UTF-8 (or its subset US-ASCII).
    pub(crate) fn parse(value: &str) -> Result<Self, SoapError> {
        let unsupported = || SoapError::UnsupportedMediaType(value.to_owned());
        let mut parts = split_params(value).into_iter();
        let media = parts.next().unwrap_or_default();
        let version = if media.eq_ignore_ascii_case(SoapVersion::Soap11.media_type()) {
            SoapVersion::Soap11
        } else if media.eq_ignore_ascii_case(SoapVersion::Soap12.media_type()) {
            SoapVersion::Soap12
        } else {
            return Err(unsupported());
        };
        let mut action = None;
        for param in parts {
            let Some((name, raw)) = param.split_once('=') else {
                return Err(unsupported());
            };
            let param_value = unquote(raw.trim());
            match name.trim().to_ascii_lowercase().as_str() {
                "charset" => {
                    let charset = param_value.to_ascii_lowercase();
                    if charset != "utf-8" && charset != "us-ascii" {
                        return Err(unsupported());
                    }
                }
                "action" => action = non_empty(param_value),
                _ => {}
            }
        }
        Ok(Self { version, action })
    }
}

/// The SOAPAction header value without its quotes; `None` when empty.
pub(crate) fn soap_action(header: &str) -> Option<String> {
    non_empty(unquote(header.trim()))
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// Splits on `;` outside quoted strings, trimming each part; empty parts are dropped.
fn split_params(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

/// Removes the quotes of an HTTP quoted-string and its backslash escapes; tokens pass as is.
fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' {
                    chars.next().unwrap_or('\\')
                } else {
                    c
                });
            }
            out
        }
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soap11_with_charset() {
        let ct = ContentType::parse("text/xml; charset=UTF-8").unwrap();
        assert_eq!(
            ct,
            ContentType {
                version: SoapVersion::Soap11,
                action: None
            }
        );
    }

    #[test]
    fn soap12_action_is_unquoted() {
        let ct =
            ContentType::parse(r#"Application/SOAP+xml;charset="utf-8";action="urn:a;b""#).unwrap();
        assert_eq!(ct.version, SoapVersion::Soap12);
        assert_eq!(ct.action.as_deref(), Some("urn:a;b"));
    }

    #[test]
    fn other_media_types_and_charsets_are_refused() {
        for ct in [
            "application/json",
            "text/xml; charset=iso-8859-1",
            "text/xml; junk",
            "",
        ] {
            assert!(matches!(
                ContentType::parse(ct),
                Err(SoapError::UnsupportedMediaType(_))
            ));
        }
    }

    #[test]
    fn soap_action_header() {
        assert_eq!(soap_action(r#""urn:hello""#).as_deref(), Some("urn:hello"));
        assert_eq!(soap_action("urn:hello").as_deref(), Some("urn:hello"));
        assert_eq!(soap_action(r#""""#), None);
    }
}
