//! Where a key is in a scenario file: its line and column, found through toml_edit's spanned
//! document. Used to place errors of rules that span several fields, which serde cannot place
//! itself. Read-only: it never rewrites the file.

use std::ops::Range;
use toml_edit::{ImDocument, Item, Table, Value};

/// A segment of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Seg {
    pub fn key(k: &str) -> Seg {
        Seg::Key(k.to_string())
    }
}

/// `faults.script[1].at_ms`.
pub fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The byte offset of the deepest part of `path` the file spells out: the key itself when it
/// is there, else the nearest enclosing key or table (a key left out and defaulted has no
/// place of its own). 0 when the text does not parse, which a scenario that reached
/// validation cannot do.
pub fn offset_of(text: &str, path: &[Seg]) -> usize {
    let Ok(doc) = ImDocument::parse(text) else {
        return 0;
    };
    let mut here = Node::Table(doc.as_table());
    let mut best: Option<Range<usize>> = None;
    for seg in path {
        let Some((span, next)) = child(here, seg) else {
            break;
        };
        best = span.or(best);
        here = next;
    }
    best.map_or(0, |s| s.start)
}

#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

/// One step down the document, with the span that names it (a key's, else the value's).
fn child<'a>(node: Node<'a>, seg: &Seg) -> Option<(Option<Range<usize>>, Node<'a>)> {
    match (node, seg) {
        (Node::Table(t), Seg::Key(k)) => {
            let (key, item) = t.get_key_value(k)?;
            Some((key.span().or_else(|| item.span()), Node::Item(item)))
        }
        (Node::Item(Item::Table(t)), _) => child(Node::Table(t), seg),
        (Node::Item(Item::ArrayOfTables(a)), Seg::Index(i)) => {
            let t = a.get(*i)?;
            Some((t.span(), Node::Table(t)))
        }
        (Node::Item(Item::Value(v)), _) => child(Node::Value(v), seg),
        (Node::Value(Value::InlineTable(t)), Seg::Key(k)) => {
            let (key, item) = t.get_key_value(k)?;
            Some((key.span().or_else(|| item.span()), Node::Item(item)))
        }
        (Node::Value(Value::Array(a)), Seg::Index(i)) => {
            let v = a.get(*i)?;
            Some((v.span(), Node::Value(v)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_falls_back_to_the_parent() {
        let text = "a = [1, 2]\n\n[t]\nx = 2\n\n[[t.list]]\ny = 3\n[[t.list]]\n  y = 4\n\n[u.implicit.deep]\nz = { w = 1 }\n";
        let at = |segs: &[Seg]| line_column(text, offset_of(text, segs));
        let k = Seg::key;
        assert_eq!(at(&[k("a")]), (1, 1));
        assert_eq!(at(&[k("a"), Seg::Index(1)]), (1, 9));
        assert_eq!(at(&[k("t"), k("x")]), (4, 1));
        assert_eq!(at(&[k("t"), k("list"), Seg::Index(1), k("y")]), (9, 3));
        assert_eq!(at(&[k("t"), k("missing")]), (3, 2));
        assert_eq!(
            at(&[k("u"), k("implicit"), k("deep"), k("z"), k("w")]),
            (12, 7)
        );
        assert_eq!(at(&[k("nothing")]), (1, 1));
        assert_eq!(
            path_text(&[k("t"), k("list"), Seg::Index(1), k("y")]),
            "t.list[1].y"
        );
    }
}
