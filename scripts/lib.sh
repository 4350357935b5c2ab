# Helpers sourced by the scripts (not run on its own).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  # Installs Debian packages; `apt-get update` once first, since a fresh machine has no lists.
  if [ ! -f /tmp/.coact-apt-updated ]; then as_root apt-get update -qq && touch /tmp/.coact-apt-updated; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
