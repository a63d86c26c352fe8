//! ODE's URL functions: `combineUrl` resolves a relative reference against a base URL
//! (RFC 3986 §5.2), `composeUrl` and `expandTemplate` fill `{name}` / `{name=default}`
//! placeholders of a URL template from name/value arguments or from the child elements of a
//! pairs element. `composeUrl` drops placeholders it has no value for; `expandTemplate`
//! leaves them as written.

use std::collections::HashMap;

use super::ode::wrong;
use crate::runtime::fault::Fault;
use crate::xpath::Value;

/// Resolves `relative` against `base`.
pub(super) fn combine(base: &str, relative: &str) -> String {
    if scheme_len(relative).is_some() {
        return relative.to_owned();
    }
    let scheme_end = scheme_len(base).map_or(0, |n| n + 1);
    let (scheme, rest) = base.split_at(scheme_end);
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            (&rest[..end + 2], &after[end..])
        }
        None => ("", rest),
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    if let Some(network) = relative.strip_prefix("//") {
        return format!("{scheme}//{network}");
    }
    if relative.starts_with('/') {
        return format!("{scheme}{authority}{}", remove_dot_segments(relative));
    }
    if relative.is_empty() || relative.starts_with(['?', '#']) {
        return format!("{scheme}{authority}{path}{relative}");
    }
    let directory = match path.rfind('/') {
        Some(i) => &path[..=i],
        None if authority.is_empty() => "",
        None => "/",
    };
    format!(
        "{scheme}{authority}{}",
        remove_dot_segments(&format!("{directory}{relative}"))
    )
}

/// Length of a URL's scheme (before the `:`), if it has one.
fn scheme_len(url: &str) -> Option<usize> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(colon)
}

/// RFC 3986 §5.2.4 on a path (with any query or fragment kept as is).
fn remove_dot_segments(path: &str) -> String {
    let (path, suffix) = match path.find(['?', '#']) {
        Some(i) => path.split_at(i),
        None => (path, ""),
    };
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i == segments.len() - 1;
        match *segment {
            "." => {
                if last {
                    output.push("");
                }
            }
            ".." => {
                if output.len() > 1 {
                    output.pop();
                }
                if last {
                    output.push("");
                }
            }
            other => output.push(other),
        }
    }
    format!("{}{suffix}", output.join("/"))
}

/// `composeUrl` / `expandTemplate`: `(template, pairs-element)` or
/// `(template, name, value, name, value, …)`.
pub(super) fn template<'a>(
    function: &str,
    args: &[Value<'a>],
    keep_unknown: bool,
) -> Result<Value<'a>, Fault> {
    let Some((template, rest)) = args.split_first() else {
        return Err(wrong(function, "takes a template and values"));
    };
    let mut values = HashMap::new();
    match rest {
        [Value::NodeSet(pairs)] => {
            for pair in pairs {
                for child in pair.doc.child_elements(pair.id) {
                    if let Some(name) = pair.doc.name(child) {
                        values.insert(name.local.clone(), pair.doc.string_value(child));
                    }
                }
            }
        }
        pairs if pairs.len() % 2 == 0 && !pairs.is_empty() => {
            for pair in pairs.chunks(2) {
                values.insert(pair[0].to_xpath_string(), pair[1].to_xpath_string());
            }
        }
        _ => {
            return Err(wrong(
                function,
                "takes a template and a pairs element or name/value pairs",
            ))
        }
    }
    Ok(Value::String(expand(
        &template.to_xpath_string(),
        &values,
        keep_unknown,
    )))
}

fn expand(template: &str, values: &HashMap<String, String>, keep_unknown: bool) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let placeholder = &rest[open + 1..open + close];
        let (name, default) = match placeholder.split_once('=') {
            Some((name, default)) => (name, Some(default)),
            None => (placeholder, None),
        };
        match (values.get(name).filter(|v| !v.is_empty()), default) {
            (Some(value), _) => out.push_str(value),
            (None, Some(default)) => out.push_str(default),
            (None, None) if keep_unknown => out.push_str(&rest[open..=open + close]),
            (None, None) => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combines_urls() {
        let base = "http://example.com/html/about.html";
        assert_eq!(combine(base, "../experts/"), "http://example.com/experts/");
        assert_eq!(
            combine(base, "team.html"),
            "http://example.com/html/team.html"
        );
        assert_eq!(combine(base, "/root"), "http://example.com/root");
        assert_eq!(combine(base, "//other.org/x"), "http://other.org/x");
        assert_eq!(combine(base, "https://a.b/c"), "https://a.b/c");
        assert_eq!(
            combine(base, "?q=1"),
            "http://example.com/html/about.html?q=1"
        );
        assert_eq!(
            combine("http://example.com", "a/./b/../c"),
            "http://example.com/a/c"
        );
    }

    #[test]
    fn expands_templates() {
        let values = HashMap::from([
            ("user".to_owned(), "bill".to_owned()),
            ("tag".to_owned(), "ruby".to_owned()),
        ]);
        let template = "http://example.com/{user}/{tag}/{missing}/{other=dflt}";
        assert_eq!(
            expand(template, &values, false),
            "http://example.com/bill/ruby//dflt"
        );
        assert_eq!(
            expand(template, &values, true),
            "http://example.com/bill/ruby/{missing}/dflt"
        );
    }
}
