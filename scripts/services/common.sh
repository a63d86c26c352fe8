# Settings shared by the service scripts; sourced, not run.
# State (data, logs, PID files) lives under $SERVICES_DIR, which the postgres and mysql users
# must be able to reach: by default a folder in the system's temporary directory.
SERVICES_DIR=${SERVICES_DIR:-${TMPDIR:-/tmp}/baton-services}
PG_DIR=${PG_DIR:-$SERVICES_DIR/pg}
PG_PORT=${PG_PORT:-5432}
MY_DIR=${MY_DIR:-$SERVICES_DIR/my}
MY_PORT=${MY_PORT:-3306}

# Refreshes apt's package lists once per run of a script, then installs the packages given;
# waits for another apt to finish rather than failing.
apt_install() {
  if [ -z "${BATON_APT_UPDATED:-}" ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    BATON_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@"
}
