//! Key names. Every key of one tenant carries the hash tag `{tenant}`, so state, outbox, dedupe,
//! ledger and dead-letter keys of a tenant share one cluster slot and one script can touch them
//! all.
//!
//! Every key the pipeline writes is built here and starts with the configured prefix; nothing
//! else may format a key. This module must never let a name containing `{`, `}`, `:` or white
//! space through, because it would break the hash tag or the key layout.

/// Stream entry field names of an outbox entry.
pub mod field {
    pub const EVENT: &str = "event";
    pub const TYPE: &str = "type";
    pub const TENANT: &str = "tenant";
    pub const OBJECT: &str = "object";
    pub const VERSION: &str = "version";
    pub const PAYLOAD: &str = "payload";
    /// Commit time in ms on the metrics clock, for the commit→effect latency.
    pub const AT_MS: &str = "at-ms";
}

/// Checks a tenant, concern, object or decision id.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("must not be empty");
    }
    if name.len() > 200 {
        return Err("is longer than 200 bytes");
    }
    // Every key built checks its names: ASCII (the usual case) is checked byte by byte, which
    // for ASCII is the same test as the `char` one (ASCII white space is space or control).
    let refused = if name.is_ascii() {
        name.bytes()
            .any(|b| b == b' ' || b.is_ascii_control() || matches!(b, b'{' | b'}' | b':'))
    } else {
        name.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '{' | '}' | ':'))
    };
    if refused {
        return Err("must not contain white space, `{`, `}` or `:`");
    }
    Ok(())
}

fn assert_name(kind: &str, name: &str) {
    if let Err(why) = check_name(name) {
        panic!("{kind} `{name}` {why}");
    }
}

/// Builds every key of one pipeline from its prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Keys {
        assert!(
            !prefix.is_empty(),
            "an empty key prefix would mix pipeline keys with other data"
        );
        Keys {
            prefix: prefix.to_string(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn tenant_key(&self, tenant: &str, rest: &str) -> String {
        self.tenant_key_of(tenant, &[rest])
    }

    /// `prefix{tenant}:` then `parts` joined by `:`, built in one allocation (workers build
    /// several keys per entry they apply).
    fn tenant_key_of(&self, tenant: &str, parts: &[&str]) -> String {
        assert_name("tenant", tenant);
        let len =
            self.prefix.len() + tenant.len() + 3 + parts.iter().map(|p| p.len() + 1).sum::<usize>();
        let mut key = String::with_capacity(len);
        key.push_str(&self.prefix);
        key.push('{');
        key.push_str(tenant);
        key.push_str("}:");
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                key.push(':');
            }
            key.push_str(part);
        }
        key
    }

    fn named(&self, tenant: &str, kind: &str, name: &str) -> String {
        assert_name(kind, name);
        self.tenant_key_of(tenant, &[kind, name])
    }

    /// The tenant's outbox stream.
    pub fn outbox(&self, tenant: &str) -> String {
        self.tenant_key(tenant, "outbox")
    }

    /// A decision's idempotency marker; its value records the state change (`object@version`).
    pub fn decision(&self, tenant: &str, decision: &str) -> String {
        self.named(tenant, "decision", decision)
    }

    /// The business object (a hash with `version`, `decision`, `payload`).
    pub fn object(&self, tenant: &str, object: &str) -> String {
        self.named(tenant, "obj", object)
    }

    pub fn dlq(&self, tenant: &str, concern: &str) -> String {
        self.named(tenant, "dlq", concern)
    }

    pub fn dedupe(&self, tenant: &str, concern: &str) -> String {
        self.named(tenant, "dedupe", concern)
    }

    /// The effects log: one list element (the event id) per applied effect.
    pub fn effects(&self, tenant: &str, concern: &str) -> String {
        self.named(tenant, "effects", concern)
    }

    /// The concern's ledger: a hash of object → sum of effect amounts.
    pub fn ledger(&self, tenant: &str, concern: &str) -> String {
        self.named(tenant, "ledger", concern)
    }

    /// A key outside every tenant (the `load` command's run counter).
    pub fn global(&self, name: &str) -> String {
        assert_name("global key", name);
        format!("{}{}", self.prefix, name)
    }

    /// SCAN pattern of every key under the prefix.
    pub fn all_pattern(&self) -> String {
        format!("{}*", glob_escape(&self.prefix))
    }

    /// SCAN pattern of one tenant's decision markers.
    pub fn decision_pattern(&self, tenant: &str) -> String {
        assert_name("tenant", tenant);
        format!("{}{{{}}}:decision:*", glob_escape(&self.prefix), tenant)
    }

    /// The decision id of a marker key of `tenant`, or `None` for another key.
    pub fn decision_id<'a>(&self, tenant: &str, key: &'a str) -> Option<&'a str> {
        let head = self.tenant_key(tenant, "decision:");
        key.strip_prefix(head.as_str())
    }
}

/// Escapes Redis glob specials so a prefix matches only itself.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let k = Keys::new("oc:");
        assert_eq!(k.outbox("t1"), "oc:{t1}:outbox");
        assert_eq!(k.decision("t1", "d-000123"), "oc:{t1}:decision:d-000123");
        assert_eq!(k.object("t1", "o7"), "oc:{t1}:obj:o7");
        assert_eq!(k.dlq("t1", "billing"), "oc:{t1}:dlq:billing");
        assert_eq!(k.dedupe("t1", "billing"), "oc:{t1}:dedupe:billing");
        assert_eq!(k.effects("t1", "billing"), "oc:{t1}:effects:billing");
        assert_eq!(k.ledger("t1", "billing"), "oc:{t1}:ledger:billing");
        assert_eq!(k.decision_id("t1", "oc:{t1}:decision:d-1"), Some("d-1"));
        assert_eq!(k.decision_id("t1", "oc:{t2}:decision:d-1"), None);
        assert_eq!(Keys::new("a*b:").all_pattern(), "a\\*b:*");
    }

    /// The ASCII fast path refuses exactly what the `char` test refuses.
    #[test]
    fn names_are_checked_the_same_in_ascii_and_beyond() {
        let by_chars = |name: &str| {
            !name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '{' | '}' | ':'))
        };
        for b in 0u8..=127 {
            let name = format!("a{}b", b as char);
            assert_eq!(check_name(&name).is_ok(), by_chars(&name), "byte {b:#04x}");
        }
        for name in [
            "caf\u{e9}",
            "a\u{a0}b",
            "a\u{2003}b",
            "a\u{85}b",
            "\u{1F600}",
        ] {
            assert_eq!(check_name(name).is_ok(), by_chars(name), "{name:?}");
        }
        assert!(check_name("a\u{a0}b").is_err());
        assert!(check_name("d-000123").is_ok());
    }

    #[test]
    #[should_panic(expected = "tenant `a:b`")]
    fn rejects_a_name_that_breaks_the_layout() {
        Keys::new("oc:").outbox("a:b");
    }
}
