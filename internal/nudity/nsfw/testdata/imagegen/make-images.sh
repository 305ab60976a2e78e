#!/bin/sh
# Rebuilds the conformance images in ../images (see ../images/SOURCES.md):
# extracts pictures from Debian packages, scales and re-encodes some of
# them, takes headless Chromium screenshots of the pages in pages/, and
# draws the gen-* images with imagegen. Needs apt-get, dpkg-deb, dwebp
# (webp), cjpeg (libjpeg-turbo-progs), chromium and Go; writes only to a
# temporary directory and to ../images.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

apt-get download python3-skimage gnome-backgrounds desktop-base tango-icon-theme
for d in *.deb; do dpkg-deb -x "$d" x; done
sk=x/usr/lib/python3/dist-packages/skimage/data
bg=x/usr/share/backgrounds/gnome
sf=x/usr/share/plymouth/themes/spacefun

# scikit-image sample data, as shipped.
for f in chelsea.png coffee.png rocket.jpg hubble_deep_field.jpg retina.jpg brick.png grass.png gravel.png \
	text.png cell.png coins.png moon.png page.png logo.png horse.png clock_motion.png microaneurysms.png \
	ihc.png green_palette.png; do
	cp "$sk/$f" "$out/skimage-$f"
done
imagegen() { (cd "$here/../../../../.." && go run ./internal/nudity/nsfw/testdata/imagegen "$@"); }
# The motorcycle photograph, re-encoded as a JPEG (Go's encoder, 4:2:0).
imagegen -png2jpeg "$PWD/$sk/motorcycle_left.png" "$out/skimage-motorcycle_left.jpg"

# GNOME backgrounds (WebP, 4096 px): scaled and re-encoded.
webp2jpeg() { # src name width quality extra-cjpeg-options...
	src=$1 name=$2 w=$3 q=$4
	shift 4
	dwebp -quiet "$bg/$src" -scale "$w" 0 -ppm -o "$work/t.ppm"
	cjpeg -quality "$q" "$@" -outfile "$out/$name" "$work/t.ppm"
}
webp2jpeg wood-l.webp gnome-wood.jpg 1600 85
dwebp -quiet "$bg/wood-d.webp" -crop 0 0 4096 3072 -scale 640 480 -ppm -o "$work/t.ppm"
cjpeg -quality 85 -outfile "$out/gnome-wood-640x480.jpg" "$work/t.ppm" # the benchmark's photo
webp2jpeg adwaita-l.webp gnome-adwaita-progressive.jpg 1200 85 -progressive
webp2jpeg truchet-l.webp gnome-truchet-444.jpg 1024 90 -sample 1x1
webp2jpeg licorice-l.webp gnome-licorice-gray.jpg 900 85 -grayscale
webp2jpeg grid-d.webp gnome-grid.jpg 800 80
dwebp -quiet "$bg/pixels-d.webp" -scale 512 0 -o "$out/gnome-pixels.png"
dwebp -quiet "$bg/symbolic-l.webp" -scale 800 0 -o "$out/gnome-symbolic.png"
dwebp -quiet "$bg/vnc-l.webp" -o "$out/gnome-vnc.png"

# desktop-base: the SpaceFun boot theme and the Emerald boot menu.
cp "$sf/swirlaxy.png" "$out/desktop-base-spacefun-swirl.png"
cp "$sf/rocket0.png" "$out/desktop-base-spacefun-rocket.png"
cp "$sf/earth0.png" "$out/desktop-base-spacefun-earth.png"
cp "$sf/star-white.png" "$out/desktop-base-spacefun-star.png"
cp "$sf/background.png" "$out/desktop-base-spacefun-background.png"
cp x/usr/share/desktop-base/emerald-theme/grub/grub-4x3.png "$out/desktop-base-emerald-grub.png"

# Screenshots: pages and SVGs rendered by headless Chromium.
shot() { # url name width height [transparent]
	bgopt=
	[ "${5:-}" = transparent ] && bgopt=--default-background-color=00000000
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars $bgopt \
		--window-size="$3,$4" --screenshot="$work/shot.png" "$1" >/dev/null 2>&1
	cp "$work/shot.png" "$out/$2"
}
shot "file://$here/pages/document.html" screenshot-document.png 1000 700
shot "file://$here/pages/table.html" screenshot-table.png 760 460
shot "file://$here/pages/form.html" screenshot-form.png 640 520
shot "file://$here/pages/chart.html" screenshot-chart.png 900 500
shot "file://$here/pages/code.html" code.png 820 480
imagegen -png2jpeg "$out/code.png" "$out/screenshot-code.jpg"
rm "$out/code.png"
# An SVG scaled to fill the window (Chromium shows a bare SVG at its own size).
svgshot() { # svg name width height [transparent]
	printf '<!doctype html><body style="margin:0"><img src="file://%s" style="display:block;width:100vw;height:100vh">' \
		"$PWD/$1" >"$work/svg.html"
	shot "file://$work/svg.html" "$2" "$3" "$4" "${5:-}"
}
svgshot x/usr/share/icons/Tango/scalable/apps/internet-web-browser.svg tango-web-browser.png 256 256 transparent
svgshot x/usr/share/icons/Tango/scalable/apps/accessories-calculator.svg tango-calculator.png 128 128 transparent
svgshot x/usr/share/backgrounds/gnome/blobs-l.svg gnome-blobs.png 1280 800

# Drawings, charts and pixel formats made here.
imagegen -out "$out"
