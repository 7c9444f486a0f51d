#!/bin/sh
# Adds faceswap-desktop to this user's application menu, from the folder this script is in.
# Nothing is copied out of the folder except the menu entry, the icons and the metainfo (into
# ~/.local/share) and a link ~/.local/bin/faceswap-desktop; keep the folder where it is
# (or move it and run this again). Undo with ./uninstall.sh.
set -eu
APP_ID=io.github.faceswap_desktop.FaceswapDesktop
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
mkdir -p "$data/applications" "$data/metainfo" "$bin"
# The entry runs this folder's app by its absolute path (a menu does not read ~/.local/bin from PATH).
sed -e "s|^Exec=faceswap-desktop|Exec=\"$here/faceswap-desktop\"|" -e "s|^TryExec=.*|TryExec=$here/faceswap-desktop|" \
    "$here/share/applications/$APP_ID.desktop" > "$data/applications/$APP_ID.desktop"
cp "$here/share/metainfo/$APP_ID.metainfo.xml" "$data/metainfo/"
for icon in "$here"/share/icons/hicolor/*/apps/*; do
    size=$(basename "$(dirname "$(dirname "$icon")")")
    mkdir -p "$data/icons/hicolor/$size/apps"
    cp "$icon" "$data/icons/hicolor/$size/apps/"
done
ln -sf "$here/faceswap-desktop" "$bin/faceswap-desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "faceswap-desktop is in your application menu; from a terminal: $bin/faceswap-desktop"
case ":$PATH:" in *":$bin:"*) ;; *) echo "(add $bin to PATH to run it as faceswap-desktop)";; esac
