//! CPU time and memory of processes, from `/proc`: PostgreSQL's (the postmaster and every backend) and the
//! server's.

use std::path::Path;

use anyhow::{Context, Result};

/// The sessions of one database of a PostgreSQL cluster: the backends serving its clients.
pub struct Processes {
    postmaster: u32,
    /// A backend's command line names its database (`postgres: user database host(port) state`).
    database: String,
}

impl Processes {
    /// Database `database` of the cluster whose data directory is `dir`, whose postmaster's process id is in
    /// `postmaster.pid`.
    pub fn of_database(dir: &Path, database: &str) -> Result<Processes> {
        let file = dir.join("postmaster.pid");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("could not read {}", file.display()))?;
        let postmaster = text
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .with_context(|| format!("{} names no process", file.display()))?;
        Ok(Processes {
            postmaster,
            database: format!(" {database} "),
        })
    }

    /// The CPU time, in microseconds, the database's backends have used so far: the live ones', and that of the
    /// children the postmaster has reaped (a pgbench connection's backend is gone by the time its run is counted).
    /// The checkpointer, background writer and other housekeeping processes are left out. 0 without `/proc`.
    pub fn cpu_micros(&self) -> f64 {
        let Some(postmaster) = stat(self.postmaster) else {
            return 0.0;
        };
        let mut ticks = postmaster.reaped;
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|name| name.parse().ok())
                else {
                    continue;
                };
                if let Some(child) = stat(pid).filter(|s| s.parent == self.postmaster)
                    && self.serves_database(pid)
                {
                    ticks += child.own;
                }
            }
        }
        ticks as f64 * 1e6 / ticks_per_second()
    }

    fn serves_database(&self, pid: u32) -> bool {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|line| String::from_utf8_lossy(&line).contains(&self.database))
    }
}

/// The CPU time, in microseconds, process `pid` (all its threads) has used so far; `None` without `/proc`.
pub fn cpu_micros(pid: u32) -> Option<f64> {
    stat(pid).map(|s| s.own as f64 * 1e6 / ticks_per_second())
}

/// The parts of `/proc/{pid}/stat` counted here.
struct Stat {
    parent: u32,
    /// utime + stime, in clock ticks.
    own: u64,
    /// cutime + cstime: the children this one has waited for.
    reaped: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (in parentheses, and it may hold spaces): state, ppid, … utime is the 12th field
    // from there, stime, cutime, cstime the next three.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let number = |at: usize| fields.get(at)?.parse::<u64>().ok();
    Some(Stat {
        parent: u32::try_from(number(1)?).ok()?,
        own: number(11)? + number(12)?,
        reaped: number(13)? + number(14)?,
    })
}

/// The largest resident set `pid` has had (VmHWM), in KiB.
pub fn peak_resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}
