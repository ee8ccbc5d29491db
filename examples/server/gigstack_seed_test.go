package main

// The request bodies of the gigstack seed document (seeds/002), byte for
// byte, in the order the document shows them.
const (
	seedBasic = `{
  "clientId": "client_7kL2mX9pNqR4eWs",
  "items": [
    {
      "name": "Professional Consulting Services",
      "description": "Monthly consulting retainer for business strategy",
      "quantity": 1,
      "total": 1500,
      "product_key": "84111506",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio"
    }
  ],
  "currency": "MXN",
  "metadata": {
    "reference": "REF456789"
  }
}`
	seedAdvanced = `{
  "client": {
    "name": "Maria Rodriguez Santos",
    "email": "maria.rodriguez@example.com",
    "rfc": "ROSM850315QT8",
    "legal_name": "MARIA RODRIGUEZ SANTOS",
    "tax_system": "601",
    "address": {
      "zip": "06100",
      "country": "MEX"
    },
    "use": "G01"
  },
  "items": [
    {
      "name": "Monthly Software License",
      "description": "Premium SaaS subscription",
      "quantity": 1,
      "total": 1500,
      "product_key": "43232408",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio",
      "taxes": [
        {
          "type": "IVA",
          "rate": 0.16,
          "factor": "Tasa"
        }
      ]
    }
  ],
  "currency": "MXN",
  "automaticInvoice": true,
  "avoidEmail": false,
  "livemode": false,
  "metadata": {
    "internalId": "INV-2024-001",
    "reference": "Monthly subscription"
  }
}`
	seedMasterTeam = `{
  "team": "team_9ZwE3pF8qKmJ7xL",
  "clientId": "client_7kL2mX9pNqR4eWs",
  "items": [
    {
      "name": "Development Services",
      "description": "Custom software development for sub-team",
      "quantity": 1,
      "total": 5000,
      "product_key": "84111506",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio"
    }
  ],
  "currency": "MXN",
  "automaticInvoice": true,
  "metadata": {
    "internalId": "MASTER-SUB-001",
    "masterTeamPayment": "true"
  }
}`
	seedConnect = `{
  "clientId": "client_7kL2mX9pNqR4eWs",
  "items": [
    {
      "name": "Marketplace Transaction",
      "description": "Commission-based service",
      "quantity": 1,
      "total": 10000,
      "product_key": "84111506",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio"
    }
  ],
  "currency": "MXN",
  "automaticInvoice": true,
  "metadata": {
    "vendor_id": "team_connectPartner123",
    "marketplace_transaction": "true"
  }
}`
	seedPaid = `{
  "clientId": "client_7kL2mX9pNqR4eWs",
  "items": [
    {
      "name": "Completed Project",
      "description": "Website development project",
      "quantity": 1,
      "total": 25000,
      "product_key": "84111506",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio"
    }
  ],
  "paid": true,
  "paymentMethod": "01",
  "date": "2024-01-15T10:30:00Z",
  "automaticInvoice": true,
  "metadata": {
    "projectId": "PROJ-2024-001"
  }
}`
	seedMasterExample = `{
  "team": "team_subsidiary123",
  "clientId": "client_7kL2mX9pNqR4eWs",
  "items": [
    {
      "name": "Services for Subsidiary",
      "description": "Monthly consulting services",
      "quantity": 1,
      "total": 2500,
      "product_key": "84111506",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio"
    }
  ],
  "automaticInvoice": true,
  "metadata": {
    "masterTeamPayment": "true",
    "internalId": "MASTER-SUB-001"
  }
}`
	seedSplitExample = `{
  "clientId": "client_customer123",
  "items": [
    {
      "name": "Marketplace Service",
      "description": "Commission-based transaction",
      "quantity": 1,
      "total": 10000,
      "product_key": "84111506",
      "unit_key": "E48",
      "unit_name": "Unidad de servicio"
    }
  ],
  "currency": "MXN",
  "metadata": {
    "vendor_id": "team_vendor456",
    "transaction_type": "marketplace"
  }
}`
)
