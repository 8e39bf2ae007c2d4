//! Lua scripts: loaded with SCRIPT LOAD, called with EVALSHA, reloaded on NOSCRIPT.
//!
//! A script is the pipeline's unit of atomicity (the commit, the atomic sink, the dead letter).
//! Its SHA1 is computed here, so a server that lost its script cache (a restart) costs one reload,
//! not an error. A script must never be sent with EVAL on the hot path: EVALSHA keeps requests
//! small.

use redis::aio::MultiplexedConnection;
use redis::Value;

use crate::pipeline::error::PipelineError;

/// A script and its SHA1.
#[derive(Clone, Debug)]
pub struct LuaScript {
    name: &'static str,
    source: &'static str,
    sha: String,
}

impl LuaScript {
    pub fn new(name: &'static str, source: &'static str) -> LuaScript {
        let sha = sha1_smol::Sha1::from(source).digest().to_string();
        LuaScript { name, source, sha }
    }

    /// SCRIPT LOAD; the server must answer our SHA1.
    pub async fn load(&self, conn: &mut MultiplexedConnection) -> Result<(), PipelineError> {
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(self.source)
            .query_async(conn)
            .await?;
        if sha != self.sha {
            let detail = format!(
                "script `{}`: server says {sha}, we computed {}",
                self.name, self.sha
            );
            return Err(PipelineError::reply("SCRIPT LOAD", detail));
        }
        Ok(())
    }

    /// EVALSHA; on NOSCRIPT, SCRIPT LOAD and EVALSHA once more. NOSCRIPT means the script did not
    /// run, so the second call cannot apply anything twice.
    pub async fn invoke(
        &self,
        conn: &mut MultiplexedConnection,
        keys: &[&str],
        args: &[&str],
    ) -> Result<Value, PipelineError> {
        match self.evalsha(conn, keys, args).await {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                self.load(conn).await?;
                self.evalsha(conn, keys, args).await
            }
            other => other,
        }
    }

    async fn evalsha(
        &self,
        conn: &mut MultiplexedConnection,
        keys: &[&str],
        args: &[&str],
    ) -> Result<Value, PipelineError> {
        Ok(self.evalsha_cmd(keys, args).query_async(conn).await?)
    }

    /// The EVALSHA command itself, for a caller that pipelines several (the `load` ceiling).
    pub fn evalsha_cmd<K: AsRef<str>, A: AsRef<str>>(&self, keys: &[K], args: &[A]) -> redis::Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&self.sha).arg(keys.len());
        for k in keys {
            cmd.arg(k.as_ref());
        }
        for a in args {
            cmd.arg(a.as_ref());
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_is_redis_sha1_hex() {
        // `redis-cli SCRIPT LOAD "return 1"` answers this digest.
        let s = LuaScript::new("one", "return 1");
        assert_eq!(s.sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }
}
