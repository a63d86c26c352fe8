//! The built-in function library: every XPath 1.0 core function (§4), plus the dispatch for
//! the XPath 2.0 subset implemented in `xpath2.rs`. Names are bound to [`Builtin`]s and
//! arity-checked at compile time.

use crate::xml::{NodeKind, QName, XML_NS};

use super::eval::Focus;
use super::value::{parse_number, Node, Value};
use super::{xpath2, Error};

/// Namespace of the XPath 2.0 function library (`fn:`); core functions are also found there.
pub const FN_NS: &str = "http://www.w3.org/2005/xpath-functions";

macro_rules! builtins {
    ($($variant:ident = $name:literal ($min:expr, $max:expr),)*) => {
        /// A built-in function.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Builtin {
            $($variant,)*
        }

        impl Builtin {
            fn by_local_name(local: &str) -> Option<Builtin> {
                match local {
                    $($name => Some(Builtin::$variant),)*
                    _ => None,
                }
            }

            fn name(self) -> &'static str {
                match self {
                    $(Builtin::$variant => $name,)*
                }
            }

            /// Minimum and maximum (`None` = unbounded) argument counts.
            fn arity(self) -> (usize, Option<usize>) {
                match self {
                    $(Builtin::$variant => ($min, $max),)*
                }
            }
        }
    };
}

builtins! {
    Last = "last" (0, Some(0)),
    Position = "position" (0, Some(0)),
    Count = "count" (1, Some(1)),
    Id = "id" (1, Some(1)),
    LocalName = "local-name" (0, Some(1)),
    NamespaceUri = "namespace-uri" (0, Some(1)),
    Name = "name" (0, Some(1)),
    String = "string" (0, Some(1)),
    Concat = "concat" (2, None),
    StartsWith = "starts-with" (2, Some(2)),
    Contains = "contains" (2, Some(2)),
    SubstringBefore = "substring-before" (2, Some(2)),
    SubstringAfter = "substring-after" (2, Some(2)),
    Substring = "substring" (2, Some(3)),
    StringLength = "string-length" (0, Some(1)),
    NormalizeSpace = "normalize-space" (0, Some(1)),
    Translate = "translate" (3, Some(3)),
    Boolean = "boolean" (1, Some(1)),
    Not = "not" (1, Some(1)),
    True = "true" (0, Some(0)),
    False = "false" (0, Some(0)),
    Lang = "lang" (1, Some(1)),
    Number = "number" (0, Some(1)),
    Sum = "sum" (1, Some(1)),
    Floor = "floor" (1, Some(1)),
    Ceiling = "ceiling" (1, Some(1)),
    Round = "round" (1, Some(1)),
    CurrentDateTime = "current-dateTime" (0, Some(0)),
    CurrentDate = "current-date" (0, Some(0)),
    CurrentTime = "current-time" (0, Some(0)),
    UpperCase = "upper-case" (1, Some(1)),
    LowerCase = "lower-case" (1, Some(1)),
    EndsWith = "ends-with" (2, Some(2)),
    StringJoin = "string-join" (1, Some(2)),
    Abs = "abs" (1, Some(1)),
    Exists = "exists" (1, Some(1)),
    Empty = "empty" (1, Some(1)),
    YearFromDateTime = "year-from-dateTime" (1, Some(1)),
    MonthFromDateTime = "month-from-dateTime" (1, Some(1)),
    DayFromDateTime = "day-from-dateTime" (1, Some(1)),
    HoursFromDateTime = "hours-from-dateTime" (1, Some(1)),
    MinutesFromDateTime = "minutes-from-dateTime" (1, Some(1)),
    SecondsFromDateTime = "seconds-from-dateTime" (1, Some(1)),
    YearFromDate = "year-from-date" (1, Some(1)),
    MonthFromDate = "month-from-date" (1, Some(1)),
    DayFromDate = "day-from-date" (1, Some(1)),
    HoursFromTime = "hours-from-time" (1, Some(1)),
    MinutesFromTime = "minutes-from-time" (1, Some(1)),
    SecondsFromTime = "seconds-from-time" (1, Some(1)),
    DeepEqual = "deep-equal" (2, Some(2)),
    Compare = "compare" (2, Some(3)),
    QName = "QName" (2, Some(2)),
    Matches = "matches" (2, Some(3)),
    Replace = "replace" (3, Some(4)),
    EncodeForUri = "encode-for-uri" (1, Some(1)),
    Min = "min" (1, Some(1)),
    Max = "max" (1, Some(1)),
    Avg = "avg" (1, Some(1)),
}

impl Builtin {
    /// The built-in called `name`: unprefixed names and names in [`FN_NS`].
    pub(super) fn lookup(name: &QName) -> Option<Builtin> {
        if name.ns.is_empty() || name.ns == FN_NS {
            Builtin::by_local_name(&name.local)
        } else {
            None
        }
    }

    pub(super) fn check_arity(self, count: usize) -> Result<(), Error> {
        let (min, max) = self.arity();
        if count >= min && max.is_none_or(|m| count <= m) {
            return Ok(());
        }
        let expected = match max {
            Some(m) if m == min => format!("{min}"),
            Some(m) => format!("{min} to {m}"),
            None => format!("at least {min}"),
        };
        Err(Error::WrongArguments {
            function: self.name().to_owned(),
            message: format!("expected {expected} arguments, got {count}"),
        })
    }

    pub(super) fn wrong(self, message: impl Into<String>) -> Error {
        Error::WrongArguments {
            function: self.name().to_owned(),
            message: message.into(),
        }
    }
}

/// Calls a built-in with already evaluated, arity-checked arguments.
pub(super) fn call<'a>(
    f: Builtin,
    args: Vec<Value<'a>>,
    focus: &Focus<'a>,
) -> Result<Value<'a>, Error> {
    let string_arg = |i: usize| -> Result<String, Error> {
        match args.get(i) {
            Some(v) => Ok(v.to_xpath_string()),
            None => Ok(focus.context_node(f.name())?.string_value()),
        }
    };
    Ok(match f {
        Builtin::Last => Value::Number(focus.size as f64),
        Builtin::Position => Value::Number(focus.position as f64),
        Builtin::Count => Value::Number(nodes_arg(f, &args[0])?.len() as f64),
        Builtin::Id => Value::NodeSet(Vec::new()),
        Builtin::LocalName | Builtin::NamespaceUri | Builtin::Name => {
            let node = match args.first() {
                Some(v) => nodes_arg(f, v)?.first().copied(),
                None => Some(focus.context_node(f.name())?),
            };
            Value::String(node.map(|n| node_name(f, n)).unwrap_or_default())
        }
        Builtin::String => Value::String(string_arg(0)?),
        Builtin::Concat => Value::String(args.iter().map(Value::to_xpath_string).collect()),
        Builtin::StartsWith => Value::Boolean(string_arg(0)?.starts_with(&string_arg(1)?)),
        Builtin::Contains => Value::Boolean(string_arg(0)?.contains(&string_arg(1)?)),
        Builtin::SubstringBefore => {
            let s = string_arg(0)?;
            let pattern = string_arg(1)?;
            Value::String(s.find(&pattern).map_or("", |i| &s[..i]).to_owned())
        }
        Builtin::SubstringAfter => {
            let s = string_arg(0)?;
            let pattern = string_arg(1)?;
            let after = s.find(&pattern).map_or("", |i| &s[i + pattern.len()..]);
            Value::String(after.to_owned())
        }
        Builtin::Substring => {
            let length = args.get(2).map(Value::to_number);
            Value::String(substring(&string_arg(0)?, args[1].to_number(), length))
        }
        Builtin::StringLength => Value::Number(string_arg(0)?.chars().count() as f64),
        Builtin::NormalizeSpace => Value::String(
            string_arg(0)?
                .split([' ', '\t', '\n', '\r'])
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Builtin::Translate => {
            Value::String(translate(&string_arg(0)?, &string_arg(1)?, &string_arg(2)?))
        }
        Builtin::Boolean => Value::Boolean(args[0].to_boolean()),
        Builtin::Not => Value::Boolean(!args[0].to_boolean()),
        Builtin::True => Value::Boolean(true),
        Builtin::False => Value::Boolean(false),
        Builtin::Lang => Value::Boolean(lang(focus.context_node(f.name())?, &string_arg(0)?)),
        Builtin::Number => Value::Number(match args.first() {
            Some(v) => v.to_number(),
            None => parse_number(&focus.context_node(f.name())?.string_value()),
        }),
        Builtin::Sum => Value::Number(
            nodes_arg(f, &args[0])?
                .iter()
                .map(|n| parse_number(&n.string_value()))
                .sum(),
        ),
        Builtin::Floor => Value::Number(args[0].to_number().floor()),
        Builtin::Ceiling => Value::Number(args[0].to_number().ceil()),
        Builtin::Round => Value::Number(round(args[0].to_number())),
        _ => xpath2::call(f, args)?,
    })
}

/// The node-set argument of a function that requires one.
fn nodes_arg<'v, 'a>(f: Builtin, value: &'v Value<'a>) -> Result<&'v [Node<'a>], Error> {
    match value {
        Value::NodeSet(nodes) => Ok(nodes),
        other => Err(f.wrong(format!("expected a node-set, got a {}", other.type_name()))),
    }
}

fn node_name(f: Builtin, node: Node<'_>) -> String {
    let doc = node.doc;
    if let NodeKind::ProcessingInstruction { target, .. } = doc.kind(node.id) {
        return match f {
            Builtin::NamespaceUri => String::new(),
            _ => target.clone(),
        };
    }
    let Some(name) = doc.name(node.id) else {
        return String::new();
    };
    match f {
        Builtin::LocalName => name.local.clone(),
        Builtin::NamespaceUri => name.ns.clone(),
        _ => match doc.prefix(node.id) {
            Some(p) => format!("{p}:{}", name.local),
            None => name.local.clone(),
        },
    }
}

/// `substring()` with the spec's rounding: characters at positions `p` (1-based) with
/// `round(start) <= p < round(start) + round(length)`.
fn substring(s: &str, start: f64, length: Option<f64>) -> String {
    let first = round(start);
    let end = length.map(|l| first + round(l));
    s.chars()
        .enumerate()
        .filter(|&(i, _)| {
            let p = (i + 1) as f64;
            p >= first && end.is_none_or(|e| p < e)
        })
        .map(|(_, c)| c)
        .collect()
}

fn translate(s: &str, from: &str, to: &str) -> String {
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.chars().position(|f| f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

fn lang(node: Node<'_>, wanted: &str) -> bool {
    let doc = node.doc;
    let mut cur = Some(node.id);
    while let Some(n) = cur {
        if let Some(value) = doc.attribute(n, XML_NS, "lang") {
            let value = value.to_ascii_lowercase();
            let wanted = wanted.to_ascii_lowercase();
            return value == wanted
                || value
                    .strip_prefix(&wanted)
                    .is_some_and(|rest| rest.starts_with('-'));
        }
        cur = doc.parent(n);
    }
    false
}

/// XPath `round()`: half rounds up (towards positive infinity), `-0.5` gives `-0`.
pub(super) fn round(x: f64) -> f64 {
    if x.is_nan() || x.is_infinite() || x.fract() == 0.0 {
        x
    } else if (-0.5..0.0).contains(&x) {
        -0.0
    } else {
        (x + 0.5).floor()
    }
}
