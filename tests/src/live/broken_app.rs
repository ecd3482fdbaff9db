//! Genuinely broken builds of the app, made by the test from a copy of
//! `app/` (the product app has no fault switch). Each one passes baker's
//! check on the builder (`GET /health` on 127.0.0.1), so its image is made
//! and shipped, as such builds are:
//!
//! - [`Breakage::LoopbackOnly`]: the server listens on 127.0.0.1 only; the
//!   load balancer's checks reach the instance's private address and are
//!   refused, so the rollout fails its health checks.
//! - [`Breakage::FailsOneInFive`]: `/health` answers, but every fifth `GET /`
//!   on an instance gets a 500: only a gate on real traffic sees it.
//! - [`Breakage::Slow`]: every page is right but takes 400 ms to come.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, ensure};

/// The line of app/server.js that binds the listening socket.
const LISTEN: &str = "server.listen(cfg.port, () => {";
const LISTEN_LOOPBACK_ONLY: &str = "server.listen(cfg.port, '127.0.0.1', () => {";
/// The line of app/server.js where the page route begins.
const PAGE_ROUTE: &str = "} else if (path === '/') {";
/// One page request in this many is answered 500 by [`Breakage::FailsOneInFive`].
pub const FAILING_ONE_IN: u32 = 5;
/// How long [`Breakage::Slow`] takes over each page.
pub const SLOW_PAGE: Duration = Duration::from_millis(400);

/// What is wrong with a test-made build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    LoopbackOnly,
    FailsOneInFive,
    Slow,
}

impl Breakage {
    /// One line for the story: what this build does wrong.
    pub fn describe(self) -> String {
        match self {
            Breakage::LoopbackOnly => "app/server.js listens on 127.0.0.1 only (passes baker's check on the builder, refused on the fleet)".to_owned(),
            Breakage::FailsOneInFive => format!(
                "app/server.js answers /health, but every {FAILING_ONE_IN}th GET / on an instance is a 500"
            ),
            Breakage::Slow => format!(
                "app/server.js answers every GET / correctly, {} ms late",
                SLOW_PAGE.as_millis()
            ),
        }
    }

    /// The change to app/server.js: (the text replaced, its replacement).
    fn patch(self) -> (&'static str, String) {
        match self {
            Breakage::LoopbackOnly => (LISTEN, LISTEN_LOOPBACK_ONLY.to_owned()),
            Breakage::FailsOneInFive => (
                PAGE_ROUTE,
                format!(
                    "{PAGE_ROUTE}\n      globalThis.pageRequests = (globalThis.pageRequests ?? 0) + 1;\n      if (globalThis.pageRequests % {FAILING_ONE_IN} === 0) {{\n        send(500, 'text/plain; charset=utf-8', 'internal error\\n');\n        return;\n      }}"
                ),
            ),
            Breakage::Slow => (
                PAGE_ROUTE,
                format!(
                    "{PAGE_ROUTE}\n      await new Promise((resolve) => setTimeout(resolve, {}));",
                    SLOW_PAGE.as_millis()
                ),
            ),
        }
    }

    /// Copies `app` into `into/app` with this breakage; returns the copy.
    pub fn copy(self, app: &Path, into: &Path) -> Result<PathBuf> {
        let copy = into.join("app");
        copy_dir(app, &copy)?;
        let server = copy.join("server.js");
        let text = std::fs::read_to_string(&server)
            .with_context(|| format!("reading {}", server.display()))?;
        let (original, broken) = self.patch();
        ensure!(
            text.matches(original).count() == 1,
            "app/server.js no longer has `{original}` once; update the {self:?} build"
        );
        std::fs::write(&server, text.replacen(original, &broken, 1))
            .with_context(|| format!("writing {}", server.display()))?;
        Ok(copy)
    }
}

/// Copies `app` into `into/app` with the loopback-only bind; returns the copy.
pub fn loopback_only_copy(app: &Path, into: &Path) -> Result<PathBuf> {
    Breakage::LoopbackOnly.copy(app, into)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "node_modules" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    fn copy_of(breakage: Breakage) -> (tempfile::TempDir, PathBuf) {
        let app = crate::demo::repo_root().join("app");
        let dir = tempfile::tempdir().expect("tempdir");
        let copy = breakage.copy(&app, dir.path()).expect("a copy");
        assert!(copy.join("package.json").is_file());
        (dir, copy)
    }

    /// The copy's server on a loopback port of its own; None without node.
    fn serve(copy: &Path) -> Option<(Child, u16)> {
        let mut child = Command::new("node")
            .arg(copy.join("server.js"))
            .env("APP_PORT", "0")
            .env("APP_BUILD", "9")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdout = child.stdout.take()?;
        let line = BufReader::new(stdout).lines().next()?.ok()?;
        let port = line
            .strip_prefix("nodeapp listening on port ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some((child, port))
    }

    fn status(port: u16, path: &str) -> u16 {
        crate::http::request("GET", port, path, Some(Duration::from_secs(5)))
            .map(|reply| reply.status)
            .unwrap_or(0)
    }

    #[test]
    fn the_loopback_only_copy_binds_127_0_0_1() {
        let (_dir, copy) = copy_of(Breakage::LoopbackOnly);
        let server = std::fs::read_to_string(copy.join("server.js")).expect("server.js");
        assert!(server.contains(LISTEN_LOOPBACK_ONLY));
    }

    #[test]
    fn the_failing_copy_answers_health_and_fails_every_fifth_page() {
        let (_dir, copy) = copy_of(Breakage::FailsOneInFive);
        let Some((mut child, port)) = serve(&copy) else {
            panic!("node could not start the failing copy");
        };
        let pages: Vec<u16> = (0..10).map(|_| status(port, "/")).collect();
        let health: Vec<u16> = (0..3).map(|_| status(port, "/health")).collect();
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            pages,
            [200, 200, 200, 200, 500, 200, 200, 200, 200, 500],
            "every fifth page fails"
        );
        assert_eq!(health, [200, 200, 200], "/health always answers");
    }

    #[test]
    fn the_slow_copy_answers_pages_late_and_health_at_once() {
        let (_dir, copy) = copy_of(Breakage::Slow);
        let Some((mut child, port)) = serve(&copy) else {
            panic!("node could not start the slow copy");
        };
        let begun = Instant::now();
        let page = status(port, "/");
        let page_took = begun.elapsed();
        let health = status(port, "/health");
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!((page, health), (200, 200));
        // The delay is the build's defect, not a speed goal: a timer of 400 ms
        // never fires early by more than a millisecond.
        assert!(
            page_took >= SLOW_PAGE - Duration::from_millis(5),
            "the page came after {page_took:?}"
        );
    }
}
