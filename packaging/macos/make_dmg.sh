#!/bin/sh
# Wraps build/dist/faceswap-desktop.app (from PyInstaller on macOS) into a drag-to-Applications DMG:
#   sh packaging/macos/make_dmg.sh 0.1.0
# Needs macOS (hdiutil). The app is ad-hoc signed by PyInstaller, which Apple silicon requires to run
# it at all; without a Developer ID signature and notarization, Gatekeeper asks the user to confirm
# the first start (right-click > Open). packaging/README.md says how to sign when an identity exists.
set -eu
version=${1:?usage: make_dmg.sh VERSION}
app=build/dist/faceswap-desktop.app
test -d "$app" || { echo "no $app: run pyinstaller packaging/faceswap-desktop.spec first" >&2; exit 2; }
stage=build/dmg
rm -rf "$stage" && mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$stage/faceswap-desktop.app"
fi
out=build/faceswap-desktop-$version-macos-arm64.dmg
rm -f "$out"
hdiutil create -volname "faceswap-desktop $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$out.part.dmg"
mv "$out.part.dmg" "$out"
echo "$out"
