import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalRuntimeError } from './errors.ts';

/** A CloudFormation template as `cdk synth` writes it. */
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Condition?: string; Export?: unknown }>;
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Rules?: unknown;
}

/** One entry of `Resources`. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** The stack to run: its template and a lookup from asset object key to the asset on disk. */
export interface StackAssembly {
  readonly stackName: string;
  readonly directory: string;
  readonly template: CfnTemplate;
  /** Absolute path of the asset whose published object key is `objectKey` (e.g. `<hash>.zip`). */
  assetPath(objectKey: string): string | undefined;
}

interface Manifest {
  artifacts?: Record<
    string,
    { type: string; properties?: { templateFile?: string; file?: string }; dependencies?: string[] }
  >;
}

interface AssetManifest {
  files?: Record<
    string,
    { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }
  >;
}

function readJson<T>(path: string, what: string): T {
  if (!existsSync(path))
    throw new LocalRuntimeError(`${what} not found at ${path}; run \`npx cdk synth\` first.`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Reads `manifest.json`, picks the stack (the only one, or `stackName`), and indexes its file assets. */
export function loadStackAssembly(cdkOutDir: string, stackName?: string): StackAssembly {
  const directory = resolve(cdkOutDir);
  const manifest = readJson<Manifest>(join(directory, 'manifest.json'), 'Cloud assembly manifest');
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(
    ([, a]) => a.type === 'aws:cloudformation:stack',
  );
  const names = stacks.map(([name]) => name);
  const chosen = stackName
    ? stacks.find(([name]) => name === stackName)
    : stacks.length === 1
      ? stacks[0]
      : undefined;
  if (!chosen) {
    throw new LocalRuntimeError(
      stackName
        ? `Stack ${stackName} is not in ${directory} (stacks: ${names.join(', ') || 'none'}).`
        : `Expected exactly one stack in ${directory}, found ${names.length} (${names.join(', ')}); pass a stack name.`,
    );
  }
  const [name, artifact] = chosen;
  const templateFile = artifact.properties?.templateFile ?? `${name}.template.json`;
  const template = readJson<CfnTemplate>(join(directory, templateFile), `Template of ${name}`);

  const byObjectKey = new Map<string, string>();
  const assetArtifacts = Object.values(manifest.artifacts ?? {}).filter(
    (a) => a.type === 'cdk:asset-manifest',
  );
  for (const assetArtifact of assetArtifacts) {
    const file = assetArtifact.properties?.file;
    if (!file) continue;
    const assets = readJson<AssetManifest>(join(directory, file), 'Asset manifest');
    for (const asset of Object.values(assets.files ?? {})) {
      for (const destination of Object.values(asset.destinations)) {
        byObjectKey.set(destination.objectKey, join(directory, asset.source.path));
      }
    }
  }
  return { stackName: name, directory, template, assetPath: (key) => byObjectKey.get(key) };
}
