//! The provisioning plan: what is installed on the image, rendered once as a
//! shell script that any communicator runs as root (SSM's
//! `AWS-RunShellScript` on AWS, ssh on a test host).
//!
//! It expects the bundle (see [`crate::bundle`]) at [`BUNDLE_PATH`], and:
//! 0. waits for cloud-init to finish, where the image has it;
//! 1. installs Node.js from the distribution when `node` is missing;
//! 2. installs the app under `/opt/<app>` (replacing what was there);
//! 3. writes `/etc/<app>/app.env` with `APP_COMMIT`, `APP_BUILD`, `APP_PORT`;
//! 4. installs the unit, enables and (re)starts it;
//! 5. checks `http://127.0.0.1:<port>/health` answers 200 (each try
//!    bounded), printing the unit's status and journal to stderr when not;
//! 6. removes the bundle, so the image holds only what is installed.

/// Where the delivery step puts things on the builder.
pub const REMOTE_DIR: &str = "/var/tmp/baker";
/// The bundle on the builder.
pub const BUNDLE_PATH: &str = "/var/tmp/baker/bundle.tar.gz";

/// The environment file the unit reads.
pub fn env_file(app: &str) -> String {
    format!("/etc/{app}/app.env")
}

/// The directory the app is installed in.
pub fn app_dir(app: &str) -> String {
    format!("/opt/{app}")
}

/// Quotes a value for a POSIX shell.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Everything the plan depends on; the same inputs give the same script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub app: String,
    /// File name of the unit (`nodeapp.service`).
    pub unit: String,
    pub port: u16,
    pub commit: String,
    pub build: String,
    pub node_package: String,
    /// Seconds to wait for `/health`.
    pub health_timeout: u64,
}

/// `/health` answers 200: checked with node itself, which the plan has
/// just made sure is installed (curl may not be). Each try gives up after
/// [`HEALTH_TRY_SECONDS`], like `curl --max-time`.
const HEALTH_CHECK_JS: &str = "const q = require(\"http\").get(\"http://127.0.0.1:\" + process.argv[1] + \"/health\", { timeout: 3000 }, r => process.exit(r.statusCode === 200 ? 0 : 1)); q.on(\"timeout\", () => process.exit(1)); q.on(\"error\", () => process.exit(1))";

/// The most one health check try may take, in seconds.
pub const HEALTH_TRY_SECONDS: u64 = 5;

impl Plan {
    /// The script. Every value is shell-quoted; values that would still be
    /// unsafe (newlines in a heredoc, an option where a package name goes)
    /// are refused earlier by [`crate::config::script_inputs::check`].
    pub fn render(&self) -> String {
        let app = sh_quote(&self.app);
        let unit = sh_quote(&self.unit);
        let node_packages = self
            .node_package
            .split_whitespace()
            .map(sh_quote)
            .collect::<Vec<_>>()
            .join(" ");
        let node_package = sh_quote(&self.node_package);
        let env_file = sh_quote(&env_file(&self.app));
        let env_dir = sh_quote(&format!("/etc/{}", self.app));
        let app_dir = sh_quote(&app_dir(&self.app));
        let port = self.port;
        let commit = sh_quote(&self.commit);
        let build = sh_quote(&self.build);
        let seconds = self.health_timeout;
        let bundle = sh_quote(BUNDLE_PATH);
        let remote_dir = sh_quote(REMOTE_DIR);
        let health_js = sh_quote(HEALTH_CHECK_JS);
        format!(
            r#"#!/bin/bash
# Provisioning plan rendered by baker.
set -euo pipefail
app={app}
app_dir={app_dir}
unit={unit}
commit={commit}
build={build}
node_package={node_package}
bundle={bundle}
stage={remote_dir}/stage
log() {{ echo "baker: $*"; }}
bounded() {{ local seconds="$1"; shift; if command -v timeout >/dev/null 2>&1; then timeout "$seconds" "$@"; else "$@"; fi; }}
log "installing $app (commit $commit, build $build)"

# 0. cloud-init first: it may still be installing packages or writing files
if command -v cloud-init >/dev/null 2>&1; then
  log "waiting for cloud-init to finish"
  cloud-init status --wait >/dev/null || log "cloud-init reported a problem (exit code $?); going on"
fi

# 1. Node.js
if ! command -v node >/dev/null 2>&1; then
  log "installing Node.js ($node_package)"
  if command -v dnf >/dev/null 2>&1; then
    dnf install -y -q {node_packages}
  elif command -v yum >/dev/null 2>&1; then
    yum install -y -q {node_packages}
  elif command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q {node_packages}
  else
    echo "baker: node is missing and there is no dnf, yum or apt-get to install $node_package with" >&2
    exit 1
  fi
fi
node_bin="$(command -v node)"
if [ ! -e /usr/bin/node ]; then ln -s "$node_bin" /usr/bin/node; fi
log "Node.js $(node --version) at $node_bin"

# 2. the app, under $app_dir
rm -rf "$stage"
mkdir -p "$stage"
tar -xzf "$bundle" -C "$stage"
rm -rf "$app_dir.new"
mkdir -p "$app_dir.new"
cp -a "$stage/app/." "$app_dir.new/"
if [ -f "$app_dir.new/package.json" ] && [ ! -d "$app_dir.new/node_modules" ] && grep -q '"dependencies"' "$app_dir.new/package.json"; then
  log "installing npm dependencies"
  (cd "$app_dir.new" && npm install --omit=dev --no-audit --no-fund)
fi
chown -R root:root "$app_dir.new"
chmod -R u=rwX,go=rX "$app_dir.new"
rm -rf "$app_dir"
mv "$app_dir.new" "$app_dir"
log "installed the app in $app_dir"

# 3. the environment file
install -d -m 0755 {env_dir}
printf 'APP_COMMIT=%s\nAPP_BUILD=%s\nAPP_PORT=%s\n' "$commit" "$build" {port} > {env_file}
chmod 0644 {env_file}

# 4. the unit
install -m 0644 "$stage/unit/$unit" "/etc/systemd/system/$unit"
systemctl daemon-reload
systemctl enable "$unit"
systemctl restart "$unit"
log "enabled and started $unit"

# 5. the health check: {seconds} s in all, each try bounded
healthy=no
deadline=$((SECONDS + {seconds}))
while [ "$SECONDS" -lt "$deadline" ]; do
  if bounded {try_seconds} node -e {health_js} {port}; then healthy=yes; break; fi
  sleep 1
done
if [ "$healthy" != yes ]; then
  echo "baker: http://127.0.0.1:{port}/health did not answer 200 within {seconds} s" >&2
  systemctl status --no-pager "$unit" >&2 || true
  journalctl -u "$unit" --no-pager -n 50 >&2 || true
  exit 1
fi
log "http://127.0.0.1:{port}/health answers 200"

# 6. leave only what is installed
rm -rf {remote_dir}
"#,
            try_seconds = HEALTH_TRY_SECONDS,
        )
    }
}

/// Writes the bundle, carried base64-encoded in the script itself.
pub fn fetch_inline(bundle_base64: &str) -> String {
    let mut body = String::with_capacity(bundle_base64.len() + bundle_base64.len() / 76 + 256);
    for chunk in bundle_base64.as_bytes().chunks(76) {
        body.push_str(&String::from_utf8_lossy(chunk));
        body.push('\n');
    }
    format!(
        "#!/bin/bash\n# Delivery by baker: the bundle, inline.\nset -euo pipefail\n\
         mkdir -p {dir}\nbase64 -d > {path} <<'BAKER_BUNDLE'\n{body}BAKER_BUNDLE\n\
         echo \"baker: bundle delivered ($(wc -c < {path}) bytes)\"\n",
        dir = sh_quote(REMOTE_DIR),
        path = sh_quote(BUNDLE_PATH),
    )
}

/// Downloads the bundle from a (presigned) URL with curl, wget or python3.
pub fn fetch_url(url: &str) -> String {
    format!(
        r#"#!/bin/bash
# Delivery by baker: the bundle, from a presigned URL.
set -euo pipefail
mkdir -p {dir}
url={url}
if command -v curl >/dev/null 2>&1; then
  curl -fsSL --retry 5 -o {path} "$url"
elif command -v wget >/dev/null 2>&1; then
  wget -q -O {path} "$url"
else
  python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$url" {path}
fi
echo "baker: bundle delivered ($(wc -c < {path}) bytes)"
"#,
        dir = sh_quote(REMOTE_DIR),
        path = sh_quote(BUNDLE_PATH),
        url = sh_quote(url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            app: "nodeapp".into(),
            unit: "nodeapp.service".into(),
            port: 8080,
            commit: "abcdef0123".into(),
            build: "42".into(),
            node_package: "nodejs".into(),
            health_timeout: 30,
        }
    }

    #[test]
    fn the_plan_installs_app_env_and_unit_and_checks_health() {
        let script = plan().render();
        for expected in [
            "set -euo pipefail",
            "app_dir='/opt/nodeapp'",
            "dnf install -y -q 'nodejs'",
            "commit='abcdef0123'\nbuild='42'\n",
            "printf 'APP_COMMIT=%s\\nAPP_BUILD=%s\\nAPP_PORT=%s\\n' \"$commit\" \"$build\" 8080 > '/etc/nodeapp/app.env'",
            "systemctl enable \"$unit\"",
            "/health",
            "journalctl -u \"$unit\"",
        ] {
            assert!(
                script.contains(expected),
                "missing {expected:?} in\n{script}"
            );
        }
        assert_eq!(
            script,
            plan().render(),
            "the same inputs give the same script"
        );
    }

    #[test]
    fn the_plan_is_valid_bash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.sh");
        std::fs::write(
            &path,
            plan().render() + &fetch_inline("aGVsbG8=") + &fetch_url("https://x/y?a=b&c='d'"),
        )
        .expect("write");
        let status = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .status()
            .expect("bash");
        assert!(status.success());
    }

    #[test]
    fn the_plan_waits_for_cloud_init_and_bounds_each_health_try() {
        let script = plan().render();
        let cloud_init = script
            .find("if command -v cloud-init >/dev/null 2>&1; then")
            .expect("cloud-init guard");
        let wait = script.find("cloud-init status --wait").expect("wait");
        let node = script.find("# 1. Node.js").expect("node step");
        assert!(cloud_init < wait && wait < node, "{script}");
        assert!(script.contains("timeout: 3000"), "{script}");
        assert!(script.contains("bounded 5 node -e"), "{script}");
        assert!(script.contains("deadline=$((SECONDS + 30))"), "{script}");
    }

    #[test]
    fn hostile_values_stay_inside_their_quotes() {
        let hostile = Plan {
            node_package: "nodejs $(touch /tmp/pwned) `id`".into(),
            commit: "abc\"; touch /tmp/pwned; \"".into(),
            build: "1'; touch /tmp/pwned; '".into(),
            ..plan()
        };
        let script = hostile.render();
        for line in script.lines() {
            let unquoted = line.replace("'\\''", "");
            let mut inside = false;
            let mut outside = String::new();
            for c in unquoted.chars() {
                if c == '\'' {
                    inside = !inside;
                } else if !inside {
                    outside.push(c);
                }
            }
            assert!(!outside.contains("/tmp/pwned"), "unquoted in {line:?}");
        }
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }
}
