export {
  Approval,
  AutoApproval,
  Catalog,
  type CatalogInput,
  Entitlement,
  GrantSpec,
  PolicyDocument,
  PolicyStatement,
  PrincipalArn,
} from './schema.js';
export {
  CatalogError,
  catalogFromJson,
  catalogVersion,
  formatPath,
  loadCatalogFile,
  type LoadCatalogFileOptions,
  type LoadedCatalog,
  parseCatalog,
  type ParseCatalogOptions,
} from './loader.js';
export {
  ANY_ROLE_ACTIONS,
  checkCatalog,
  ESCALATION_ACTIONS,
  ESCALATION_MANAGED_POLICIES,
  escalationFindings,
  GUARDED_SERVICES,
  INLINE_POLICY_LIMITS,
  wildcardMatch,
} from './checks.js';
