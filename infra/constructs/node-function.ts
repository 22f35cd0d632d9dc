import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';
import { REPO_ROOT } from '../paths.js';

/**
 * esbuild receives each `define` as one command-line argument, and Linux caps a single argument at
 * 128 KiB (MAX_ARG_STRLEN). Fail at synth with a clear message rather than with E2BIG from spawn.
 */
export const MAX_CATALOG_DEFINE_CHARS = 100_000;

// ESM bundles have no `require`; some CommonJS dependencies still call it at runtime.
const REQUIRE_BANNER = "import { createRequire as __grantlineCreateRequire } from 'node:module'; const require = __grantlineCreateRequire(import.meta.url);";

export interface NodeFunctionProps {
  /** Handler module relative to the repository root, exporting `handler`. */
  readonly entry: string;
  /** The validated catalog, compiled into the bundle (functions/shared/catalog.ts reads it). */
  readonly catalog: CatalogSnapshot;
  readonly logRetention: RetentionDays;
  readonly environment?: Readonly<Record<string, string>>;
  readonly description?: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
}

/** Compile-time constants for esbuild `define`: each value is a JavaScript expression. */
export function catalogDefines(snapshot: CatalogSnapshot): Record<string, string> {
  const catalog = JSON.stringify(JSON.stringify(snapshot.catalog));
  if (catalog.length > MAX_CATALOG_DEFINE_CHARS) {
    throw new Error(
      `The catalog is ${catalog.length} characters as JSON; bundling allows at most ${MAX_CATALOG_DEFINE_CHARS}. Move large inline policies into managed policies.`,
    );
  }
  return {
    __GRANTLINE_CATALOG__: catalog,
    __GRANTLINE_CATALOG_VERSION__: JSON.stringify(snapshot.version),
  };
}

/**
 * A Node.js Lambda function with Grantline's defaults: Node 22 on ARM, an ESM bundle built by the
 * local esbuild (never Docker), the catalog compiled in, X-Ray tracing, and its own log group and
 * role (the role may write only to that log group: no AWSLambdaBasicExecutionRole).
 */
export class NodeFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs of who was granted what are evidence: keep them when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Grantline ${props.entry}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      ...(props.description ? { description: props.description } : {}),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'grantline',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        minify: true,
        // ASL Catch/Retry match error names; keep class names intact should any code rely on them.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        // The code is tested against the SDK versions in package-lock.json, not the runtime's copy.
        bundleAwsSDK: true,
        define: catalogDefines(props.catalog),
        // esbuild's per-bundle size summary would drown the synth output.
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
