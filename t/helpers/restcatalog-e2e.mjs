// restcatalog-e2e.mjs: placeholder replaced below.
export async function icebirdCheck() {}
