#!/bin/sh
# Removes what install.sh added. Your settings, downloaded models and logs stay in
# ~/.config/faceswap-desktop, ~/.local/share/faceswap-desktop and ~/.local/state/faceswap-desktop;
# delete those folders too to remove every trace. Then delete this folder.
set -eu
APP_ID=io.github.faceswap_desktop.FaceswapDesktop
data=${XDG_DATA_HOME:-$HOME/.local/share}
rm -f "$data/applications/$APP_ID.desktop" "$data/metainfo/$APP_ID.metainfo.xml"
rm -f "$data"/icons/hicolor/*/apps/"$APP_ID".png "$data"/icons/hicolor/scalable/apps/"$APP_ID".svg
link=$HOME/.local/bin/faceswap-desktop
[ -L "$link" ] && rm -f "$link"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
echo "faceswap-desktop removed from the menu"
