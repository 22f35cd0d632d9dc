import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { CatalogSnapshot } from '../functions/access/domain/ports.js';
import { CatalogError, loadCatalogFile } from '../functions/catalog/loader.js';
import { acknowledgeNagFindings } from './nag.js';
import { ConfigError, type GrantlineConfig, readConfig } from './config.js';
import { GrantlineStack } from './stacks/grantline-stack.js';

export interface BuildAppOptions {
  /** Context on top of what the CDK CLI passes (cdk.json, `-c`). */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly outdir?: string;
  /**
   * Build the function bundles with esbuild. Off for template-only tests: assets are then not built
   * (nor the catalog compiled in), which saves most of the synth time.
   * @default true
   */
  readonly bundling?: boolean;
  /** The offline CloudFormation validator aws-cdk-lib runs on synth. @default true */
  readonly builtinCloudFormationValidation?: boolean;
  /** Where CDK_DEFAULT_ACCOUNT/REGION come from. @default process.env */
  readonly processEnv?: NodeJS.ProcessEnv;
}

export interface GrantlineApp {
  readonly app: App;
  readonly stack: GrantlineStack;
  readonly config: GrantlineConfig;
  readonly catalog: CatalogSnapshot;
}

/** Reads and validates the catalog once, at synth time; its problems name the context key. */
function loadCatalog(config: GrantlineConfig): CatalogSnapshot {
  try {
    // No git commit in the version: it is compiled into every bundle, and a commit that leaves the
    // catalog alone must not redeploy every function. The content hash identifies the catalog.
    const { catalog, version } = loadCatalogFile(config.catalogPath);
    return { catalog, version };
  } catch (err) {
    if (err instanceof CatalogError) throw new ConfigError(err.problems.map((p) => `context "catalog" (${config.catalogPath}): ${p}`));
    // A file that cannot be read is a configuration mistake too; anything else is a bug and keeps its stack.
    if (typeof (err as NodeJS.ErrnoException)?.code === 'string') {
      throw new ConfigError([`context "catalog": cannot read ${config.catalogPath}: ${(err as Error).message}`]);
    }
    throw err;
  }
}

/** The Grantline CDK app: configuration, catalog, the stack, and cdk-nag's AWS Solutions checks. */
export function buildApp(options: BuildAppOptions = {}): GrantlineApp {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    ...(options.builtinCloudFormationValidation === false ? { builtinCloudFormationValidation: false } : {}),
    context: {
      ...options.context,
      // An empty list of stacks to bundle: assets are left unbuilt.
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const config = readConfig((key) => app.node.tryGetContext(key), options.processEnv);
  const catalog = loadCatalog(config);
  if (config.env.account && config.env.account !== catalog.catalog.account) {
    // Grantline changes IAM in its own account only; deploying elsewhere could never grant anything.
    throw new ConfigError([`context "catalog": the catalog is for account ${catalog.catalog.account}, but the stack deploys to ${config.env.account}`]);
  }

  const stack = new GrantlineStack(app, config.stackName, {
    env: config.env,
    description: 'Grantline: just-in-time, time-limited AWS IAM access',
    config,
    catalog,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  acknowledgeNagFindings(stack);
  return { app, stack, config, catalog };
}

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// `cdk synth` runs this file; the CLI's output directory makes the App synthesize on exit.
if (isMain()) {
  try {
    buildApp();
  } catch (err) {
    // A configuration mistake is the user's to fix: say what it is, without a stack trace.
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  }
}
