#!/usr/bin/env bash
# Refresh every translation catalogue: the project's (core and shared templates) and
# each app's own, then compile them. Extraction needs GNU gettext (xgettext);
# compiling uses polib, so the committed .mo files can be rebuilt anywhere.
set -euf -o pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.venv/bin"
export DJANGO_SETTINGS_MODULE=huifang.settings
cd "$root/src/huifang"
apps=()
for dir in */; do
  dir="${dir%/}"
  [ -f "$dir/apps.py" ] && [ "$dir" != core ] && apps+=("$dir")
done
ignore=()
for app in "${apps[@]}"; do ignore+=(-i "$app/*"); done
"$bin/django-admin" makemessages -l zh_Hans --no-obsolete -i "static/*" "${ignore[@]}"
for app in "${apps[@]}"; do
  if [ -d "$app/locale" ]; then
    (cd "$app" && "$bin/django-admin" makemessages -l zh_Hans --no-obsolete)
  fi
done
"$bin/python" - <<'PY'
import pathlib
import polib
for po_path in pathlib.Path(".").glob("**/locale/zh_Hans/LC_MESSAGES/django.po"):
    polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
    print("compiled", po_path)
PY
