#!/usr/bin/env bash
# Build the one-folder desktop bundle into dist/cnnviz and check that it starts (--smoke) from another folder.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/python" -m pip install --quiet -e ".[bundle]"
start=$(date +%s)
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/cnnviz.spec
end=$(date +%s)
cp packaging/cnnviz.desktop dist/cnnviz/
cp resources/icons/cnnviz.svg dist/cnnviz/cnnviz.svg
echo "bundle: dist/cnnviz ($(du -sh dist/cnnviz | cut -f1)), built in $((end - start)) s"
# The bundle must start from any working directory and without the source tree on the path.
(cd /tmp && QT_QPA_PLATFORM=offscreen "$OLDPWD/dist/cnnviz/cnnviz" --smoke)
