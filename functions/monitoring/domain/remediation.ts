import type { Remediation } from './ports.js';

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The IAM API call a remediation makes and its parameters, as audit records and alerts show it. */
export function describeRemediation(r: Remediation): Record<string, string> {
  switch (r.action) {
    case 'DetachPolicy':
      return { api: `Detach${cap(r.target.type)}Policy`, [`${r.target.type}Name`]: r.target.name, policyArn: r.policyArn };
    case 'DeleteInlinePolicy':
      return { api: `Delete${cap(r.target.type)}Policy`, [`${r.target.type}Name`]: r.target.name, policyName: r.policyName };
    case 'RemoveUserFromGroup':
      return { api: 'RemoveUserFromGroup', userName: r.userName, groupName: r.groupName };
    case 'DeactivateAccessKey':
      return { api: 'UpdateAccessKey', userName: r.userName, accessKeyId: r.accessKeyId, status: 'Inactive' };
    case 'DeleteLoginProfile':
      return { api: 'DeleteLoginProfile', userName: r.userName };
  }
}
