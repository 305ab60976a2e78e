// Computes what nsfwjs 4.4.0 (mobilenet_v2, tfjs CPU backend) says of every
// image in ../images and writes ../reference.json. See README.md.
"use strict";

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const tf = require("@tensorflow/tfjs");
const nsfwjs = require("nsfwjs");
const jpeg = require("jpeg-js");
const { PNG } = require("pngjs");

const imagesDir = path.join(__dirname, "..", "images");
const outFile = path.join(__dirname, "..", "reference.json");
// For every JPEG, the RGB pixels jpeg-js decoded are kept as a lossless PNG
// here, so that the Go test can classify exactly the pixels the reference
// classified (Go's JPEG decoder rounds differently and its IDCT differs).
const decodedDir = path.join(__dirname, "..", "decoded");

// decode returns the RGB bytes of an image as the pure-JavaScript decoders
// give them: jpeg-js and pngjs both return RGBA, and the alpha is dropped.
function decode(file) {
  const buf = fs.readFileSync(file);
  let img;
  if (/\.jpe?g$/i.test(file)) {
    img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 20 });
  } else if (/\.png$/i.test(file)) {
    img = PNG.sync.read(buf);
  } else {
    throw new Error("unknown image type: " + file);
  }
  const { width, height, data } = img;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height * 4; i += 4, j += 3) {
    rgb[j] = data[i];
    rgb[j + 1] = data[i + 1];
    rgb[j + 2] = data[i + 2];
  }
  return { width, height, rgb, rgba: data };
}

function writeDecoded(name, width, height, rgba) {
  const png = new PNG({ width, height, colorType: 2, inputHasAlpha: true });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.length);
  fs.writeFileSync(path.join(decodedDir, name + ".png"), PNG.sync.write(png, { colorType: 2, inputHasAlpha: true }));
}

async function main() {
  await tf.setBackend("cpu");
  await tf.ready();
  const model = await nsfwjs.load("MobileNetV2");
  fs.rmSync(decodedDir, { recursive: true, force: true });
  fs.mkdirSync(decodedDir);
  const names = fs.readdirSync(imagesDir).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
  const out = { generator: "nsfwjs@4.4.0 MobileNetV2, @tensorflow/tfjs@" + tf.version.tfjs + " backend " + tf.getBackend(), images: [] };
  for (const name of names) {
    const { width, height, rgb, rgba } = decode(path.join(imagesDir, name));
    if (/\.jpe?g$/i.test(name)) writeDecoded(name, width, height, rgba);
    const input = tf.tensor3d(Int32Array.from(rgb), [height, width, 3], "int32");
    const classes = await model.classify(input, 5);
    input.dispose();
    const scores = {};
    for (const c of classes) scores[c.className] = c.probability;
    const rgbSHA256 = crypto.createHash("sha256").update(rgb).digest("hex");
    out.images.push({ file: name, width, height, rgbSHA256, scores });
    process.stderr.write(`${name} ${width}x${height} ${JSON.stringify(scores)}\n`);
  }
  fs.writeFileSync(outFile, JSON.stringify(out, null, 1) + "\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
