/** The address the example flow tests post to `POST /account/addresses`, as a page would. */
export const SHOPPER_ADDRESS = {
  first_name: 'Alan',
  last_name: 'Watts',
  street_address1: '1 Market St',
  locality: 'San Francisco',
  region: 'California',
  postal_code: '94105',
  country_code: 'US',
  email: 'shopper@example.com',
}
