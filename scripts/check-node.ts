// Fails fast when an npm script runs under a Node other than the pinned 24.x (the `node` devDependency).
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `ledgerline: expected Node 24 from the 'node' devDependency, got ${process.version}. Run scripts via npm.`,
  );
  process.exit(1);
}
