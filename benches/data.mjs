// The records both benchmarks write: about 200 bytes of JSON, varied per index.
export const record = (i) => ({
  id: i,
  name: `user number ${i}`,
  email: `user${i}@example.com`,
  active: i % 3 === 0,
  score: i * 1.25,
  tags: ['alpha', 'beta', `t${i % 10}`],
  address: { city: 'Lisbon', zip: `${1000 + (i % 9000)}` },
  note: 'records of this shape are about 200 bytes',
})
