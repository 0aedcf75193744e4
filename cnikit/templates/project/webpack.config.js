const path = require("path");
const CopyPlugin = require("copy-webpack-plugin");

module.exports = {
  mode: "production",
  target: "node",
  entry: "./src/index.ts",
  module: {
    rules: [
      { test: /\.ts$/, use: "ts-loader", exclude: /node_modules/ },
      { test: /\.md$/, type: "asset/source" },
    ],
  },
  resolve: { extensions: [".ts", ".js"] },
  output: {
    filename: "index.js",
    path: path.resolve(__dirname, "dist"),
    libraryTarget: "commonjs2",
  },
  // iconPath in src/index.ts is resolved relative to dist/, so the assets travel with the bundle.
  plugins: [new CopyPlugin({ patterns: [{ from: "assets", to: "." }] })],
};
