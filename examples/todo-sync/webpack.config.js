const path = require("path");
const CopyPlugin = require("copy-webpack-plugin");

module.exports = {
  mode: "production",
  target: "node",
  entry: "./src/index.ts",
  // Readable stack traces in execution logs matter more than a few kilobytes.
  optimization: { minimize: false },
  module: {
    rules: [
      { test: /\.tsx?$/, use: "ts-loader", exclude: /node_modules/ },
      { test: /\.md$/, type: "asset/source" },
    ],
  },
  // spectral's index pulls in its testing helpers, whose jest-util has a dynamic require webpack cannot follow;
  // it is never reached at run time.
  ignoreWarnings: [{ module: /node_modules\/jest-util/, message: /Critical dependency/ }],
  resolve: { extensions: [".tsx", ".ts", ".js"] },
  output: {
    filename: "index.js",
    path: path.resolve(__dirname, "dist"),
    libraryTarget: "commonjs2",
  },
  // iconPath in src/index.ts is resolved relative to dist/, so the assets travel with the bundle.
  plugins: [new CopyPlugin({ patterns: [{ from: "assets", to: "." }] })],
};
