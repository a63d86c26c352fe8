//! The CPU time a server process has used, read from `/proc/<pid>/stat`: its user and system
//! time (fields 14 and 15, the sum over all its threads) in clock ticks, converted with
//! `sysconf(_SC_CLK_TCK)`. Read before and after a measurement, it gives the server's CPU time
//! per request.

use std::time::Duration;

use anyhow::{ensure, Context};

/// The CPU time a process uses from a starting point on.
pub(crate) struct Meter {
    pid: u32,
    start: Duration,
}

impl Meter {
    /// Starts metering process `pid`.
    pub(crate) fn start(pid: u32) -> anyhow::Result<Meter> {
        Ok(Meter {
            pid,
            start: used(pid)?,
        })
    }

    /// The CPU time used since the start, shared out over `requests`.
    pub(crate) fn per_request(&self, requests: usize) -> anyhow::Result<Duration> {
        let spent = used(self.pid)?.saturating_sub(self.start);
        Ok(spent.div_f64(requests as f64))
    }
}

/// The user plus system CPU time process `pid` has used so far.
fn used(pid: u32) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // Field 2, the command name, is in parentheses and may hold spaces: the fields after it
    // are counted from its closing parenthesis, where field 3 begins.
    let (_, after_name) = stat
        .rsplit_once(')')
        .with_context(|| format!("{path}: no command name"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |number: usize| -> anyhow::Result<u64> {
        let text = fields
            .get(number - 3)
            .with_context(|| format!("{path}: no field {number}"))?;
        text.parse()
            .with_context(|| format!("{path}: field {number} is '{text}'"))
    };
    let ticks = field(14)? + field(15)?;
    Ok(Duration::from_secs_f64(ticks as f64 / ticks_per_second()?))
}

/// The clock ticks per second the kernel counts process times in.
fn ticks_per_second() -> anyhow::Result<f64> {
    // SAFETY: sysconf only reads the named configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    ensure!(ticks > 0, "sysconf(_SC_CLK_TCK) answered {ticks}");
    Ok(ticks as f64)
}
