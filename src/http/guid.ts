// Entra's and ARM's ids (application and object ids, role definitions and assignments) are GUIDs, and Azure refuses
// any other text where one is expected.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isGuid = (value: string): boolean => GUID.test(value);
