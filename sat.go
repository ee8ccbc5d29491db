package paykit

import (
	"regexp"
	"slices"
	"strings"
)

// The catalogs of Mexico's tax administration (SAT) that paykit validates
// clients, products and charges against, as small tables: the CFDI 4.0
// catalogs c_RegimenFiscal, c_UsoCFDI, c_FormaPago, c_Impuesto, c_TipoFactor
// and c_Moneda (the currencies charges take), and the usual entries of the
// two large ones, c_ClaveUnidad and c_ClaveProdServ, whose codes are checked
// by format rather than listed in full.

// CatalogEntry is one code of a catalog.
type CatalogEntry struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// Moral and Physical say whether a tax system applies to companies
	// (personas morales, 12-character RFCs) and to people (personas
	// físicas, 13 characters).
	Moral    bool `json:"moral,omitempty"`
	Physical bool `json:"physical,omitempty"`
	// TaxSystems are the tax systems a CFDI use is allowed for.
	TaxSystems []string `json:"taxSystems,omitempty"`
}

// Catalog is one SAT catalog.
type Catalog struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Complete    bool           `json:"complete"` // false: the usual entries of a larger catalog, whose codes are checked by format
	Entries     []CatalogEntry `json:"entries"`
}

// Catalog IDs.
const (
	CatalogTaxSystems   = "c_RegimenFiscal"
	CatalogCFDIUses     = "c_UsoCFDI"
	CatalogPaymentForms = "c_FormaPago"
	CatalogTaxTypes     = "c_Impuesto"
	CatalogTaxFactors   = "c_TipoFactor"
	CatalogCurrencies   = "c_Moneda"
	CatalogUnitKeys     = "c_ClaveUnidad"
	CatalogProductKeys  = "c_ClaveProdServ"
)

// regimes for the CFDI uses of businesses and of people with business income.
var (
	usesGeneral    = []string{"601", "603", "606", "612", "620", "621", "622", "623", "624", "625", "626"}
	usesDeductions = []string{"605", "606", "607", "608", "611", "612", "614", "615", "625"}
)

// catalogs are the tables, in the order they are listed.
var catalogs = []*Catalog{
	{ID: CatalogTaxSystems, Name: "Régimen fiscal", Description: "Tax systems (regímenes fiscales).", Complete: true, Entries: []CatalogEntry{
		{Code: "601", Description: "General de Ley Personas Morales", Moral: true},
		{Code: "603", Description: "Personas Morales con Fines no Lucrativos", Moral: true},
		{Code: "605", Description: "Sueldos y Salarios e Ingresos Asimilados a Salarios", Physical: true},
		{Code: "606", Description: "Arrendamiento", Physical: true},
		{Code: "607", Description: "Régimen de Enajenación o Adquisición de Bienes", Physical: true},
		{Code: "608", Description: "Demás ingresos", Physical: true},
		{Code: "610", Description: "Residentes en el Extranjero sin Establecimiento Permanente en México", Moral: true, Physical: true},
		{Code: "611", Description: "Ingresos por Dividendos (socios y accionistas)", Physical: true},
		{Code: "612", Description: "Personas Físicas con Actividades Empresariales y Profesionales", Physical: true},
		{Code: "614", Description: "Ingresos por intereses", Physical: true},
		{Code: "615", Description: "Régimen de los ingresos por obtención de premios", Physical: true},
		{Code: "616", Description: "Sin obligaciones fiscales", Physical: true},
		{Code: "620", Description: "Sociedades Cooperativas de Producción que optan por diferir sus ingresos", Moral: true},
		{Code: "621", Description: "Incorporación Fiscal", Physical: true},
		{Code: "622", Description: "Actividades Agrícolas, Ganaderas, Silvícolas y Pesqueras", Moral: true},
		{Code: "623", Description: "Opcional para Grupos de Sociedades", Moral: true},
		{Code: "624", Description: "Coordinados", Moral: true},
		{Code: "625", Description: "Régimen de las Actividades Empresariales con ingresos a través de Plataformas Tecnológicas", Physical: true},
		{Code: "626", Description: "Régimen Simplificado de Confianza", Moral: true, Physical: true},
	}},
	{ID: CatalogCFDIUses, Name: "Uso del CFDI", Description: "What the client uses an invoice for.", Complete: true, Entries: []CatalogEntry{
		{Code: "G01", Description: "Adquisición de mercancías", TaxSystems: usesGeneral},
		{Code: "G02", Description: "Devoluciones, descuentos o bonificaciones", TaxSystems: usesGeneral},
		{Code: "G03", Description: "Gastos en general", TaxSystems: usesGeneral},
		{Code: "I01", Description: "Construcciones", TaxSystems: usesGeneral},
		{Code: "I02", Description: "Mobiliario y equipo de oficina por inversiones", TaxSystems: usesGeneral},
		{Code: "I03", Description: "Equipo de transporte", TaxSystems: usesGeneral},
		{Code: "I04", Description: "Equipo de computo y accesorios", TaxSystems: usesGeneral},
		{Code: "I05", Description: "Dados, troqueles, moldes, matrices y herramental", TaxSystems: usesGeneral},
		{Code: "I06", Description: "Comunicaciones telefónicas", TaxSystems: usesGeneral},
		{Code: "I07", Description: "Comunicaciones satelitales", TaxSystems: usesGeneral},
		{Code: "I08", Description: "Otra maquinaria y equipo", TaxSystems: usesGeneral},
		{Code: "D01", Description: "Honorarios médicos, dentales y gastos hospitalarios", TaxSystems: usesDeductions},
		{Code: "D02", Description: "Gastos médicos por incapacidad o discapacidad", TaxSystems: usesDeductions},
		{Code: "D03", Description: "Gastos funerales", TaxSystems: usesDeductions},
		{Code: "D04", Description: "Donativos", TaxSystems: usesDeductions},
		{Code: "D05", Description: "Intereses reales efectivamente pagados por créditos hipotecarios (casa habitación)", TaxSystems: usesDeductions},
		{Code: "D06", Description: "Aportaciones voluntarias al SAR", TaxSystems: usesDeductions},
		{Code: "D07", Description: "Primas por seguros de gastos médicos", TaxSystems: usesDeductions},
		{Code: "D08", Description: "Gastos de transportación escolar obligatoria", TaxSystems: usesDeductions},
		{Code: "D09", Description: "Depósitos en cuentas para el ahorro, primas que tengan como base planes de pensiones", TaxSystems: usesDeductions},
		{Code: "D10", Description: "Pagos por servicios educativos (colegiaturas)", TaxSystems: usesDeductions},
		{Code: "S01", Description: "Sin efectos fiscales", TaxSystems: []string{"601", "603", "605", "606", "607", "608", "610", "611",
			"612", "614", "615", "616", "620", "621", "622", "623", "624", "625", "626"}},
		{Code: "CP01", Description: "Pagos", TaxSystems: usesGeneral},
		{Code: "CN01", Description: "Nómina", TaxSystems: []string{"605"}},
	}},
	{ID: CatalogPaymentForms, Name: "Forma de pago", Description: "How a payment was made.", Complete: true, Entries: []CatalogEntry{
		{Code: "01", Description: "Efectivo"},
		{Code: "02", Description: "Cheque nominativo"},
		{Code: "03", Description: "Transferencia electrónica de fondos"},
		{Code: "04", Description: "Tarjeta de crédito"},
		{Code: "05", Description: "Monedero electrónico"},
		{Code: "06", Description: "Dinero electrónico"},
		{Code: "08", Description: "Vales de despensa"},
		{Code: "12", Description: "Dación en pago"},
		{Code: "13", Description: "Pago por subrogación"},
		{Code: "14", Description: "Pago por consignación"},
		{Code: "15", Description: "Condonación"},
		{Code: "17", Description: "Compensación"},
		{Code: "23", Description: "Novación"},
		{Code: "24", Description: "Confusión"},
		{Code: "25", Description: "Remisión de deuda"},
		{Code: "26", Description: "Prescripción o caducidad"},
		{Code: "27", Description: "A satisfacción del acreedor"},
		{Code: "28", Description: "Tarjeta de débito"},
		{Code: "29", Description: "Tarjeta de servicios"},
		{Code: "30", Description: "Aplicación de anticipos"},
		{Code: "31", Description: "Intermediario pagos"},
		{Code: "99", Description: "Por definir"},
	}},
	{ID: CatalogTaxTypes, Name: "Impuesto", Description: "Taxes an item carries.", Complete: true, Entries: []CatalogEntry{
		{Code: string(TaxISR), Description: "ISR (001): withheld only"},
		{Code: string(TaxIVA), Description: "IVA (002)"},
		{Code: string(TaxIEPS), Description: "IEPS (003)"},
	}},
	{ID: CatalogTaxFactors, Name: "Tipo factor", Description: "How a tax's rate applies.", Complete: true, Entries: []CatalogEntry{
		{Code: string(TaxFactorRate), Description: "A rate of the item's base"},
		{Code: string(TaxFactorQuota), Description: "An amount per unit (IEPS only)"},
		{Code: string(TaxFactorExempt), Description: "Exempt: no tax (not withheld)"},
	}},
	{ID: CatalogCurrencies, Name: "Moneda", Description: "The currencies a charge may be in.", Complete: true, Entries: []CatalogEntry{
		{Code: "MXN", Description: "Peso Mexicano"},
		{Code: "USD", Description: "Dólar americano"},
		{Code: "EUR", Description: "Euro"},
	}},
	{ID: CatalogUnitKeys, Name: "Clave de unidad", Description: "The usual units; any code of 1 to 3 letters and digits is taken.", Entries: []CatalogEntry{
		{Code: "E48", Description: "Unidad de servicio"},
		{Code: "H87", Description: "Pieza"},
		{Code: "ACT", Description: "Actividad"},
		{Code: "EA", Description: "Elemento"},
		{Code: "HUR", Description: "Hora"},
		{Code: "DAY", Description: "Día"},
		{Code: "MON", Description: "Mes"},
		{Code: "ANN", Description: "Año"},
		{Code: "KGM", Description: "Kilogramo"},
		{Code: "LTR", Description: "Litro"},
		{Code: "MTR", Description: "Metro"},
		{Code: "XBX", Description: "Caja"},
		{Code: "XPK", Description: "Paquete"},
		{Code: "A9", Description: "Tarifa"},
	}},
	{ID: CatalogProductKeys, Name: "Clave de producto o servicio", Description: "The usual keys; any 8-digit key is taken.", Entries: []CatalogEntry{
		{Code: "01010101", Description: "No existe en el catálogo"},
		{Code: "43232408", Description: "Software de desarrollo de plataformas web"},
		{Code: "43231500", Description: "Software funcional específico de la empresa"},
		{Code: "80101500", Description: "Servicios de consultoría de negocios y administración corporativa"},
		{Code: "80141600", Description: "Actividades de ventas y promoción de negocios"},
		{Code: "81112100", Description: "Servicios de internet"},
		{Code: "81111500", Description: "Ingeniería de software o hardware"},
		{Code: "84111506", Description: "Servicios de facturación"},
		{Code: "86101700", Description: "Servicios de capacitación vocacional no científica"},
		{Code: "90101500", Description: "Establecimientos para comer y beber"},
	}},
}

// Catalogs returns every catalog paykit validates against.
func (s *Service) Catalogs() []*Catalog { return catalogs }

// FindCatalogByID returns a catalog. Returns ENOTFOUND.
func (s *Service) FindCatalogByID(id string) (*Catalog, error) {
	for _, c := range catalogs {
		if strings.EqualFold(c.ID, id) {
			return c, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "Catalog not found.")
}

// catalogEntry returns the entry of the catalog id with code.
func catalogEntry(id, code string) (*CatalogEntry, bool) {
	for _, c := range catalogs {
		if c.ID != id {
			continue
		}
		for i := range c.Entries {
			if c.Entries[i].Code == code {
				return &c.Entries[i], true
			}
		}
	}
	return nil, false
}

// Generic RFCs: the general public (a sale to no one in particular) and
// foreign clients.
const (
	RFCGeneralPublic = "XAXX010101000"
	RFCForeign       = "XEXX010101000"
)

// rfcPattern is an RFC: 3 letters (a company, persona moral) or 4 (a person,
// persona física), a yymmdd date, and a 3-character homoclave ending in a
// digit or A.
var rfcPattern = regexp.MustCompile(`^[A-ZÑ&]{3,4}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$`)

// NormalizeRFC returns s trimmed and upper-cased, as RFCs are stored.
func NormalizeRFC(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// checkRFC returns a problem with rfc (normalized), or "".
func checkRFC(rfc string) string {
	if !rfcPattern.MatchString(rfc) {
		return "Not an RFC: 12 characters for a company, 13 for a person, like ROSM850315QT8."
	}
	return ""
}

// checkTaxSystem validates a tax system code into v. It does not check that
// the system suits the RFC's kind of taxpayer (a company's 12 characters, a
// person's 13): the vendor's own examples pair a person's RFC with 601, a
// company's system, and the tax administration checks it when it stamps.
func checkTaxSystem(v *Validation, field, code string) {
	if _, ok := catalogEntry(CatalogTaxSystems, code); !ok {
		v.Add(field, "Not a tax system of the SAT catalog c_RegimenFiscal, like 601.")
	}
}

// checkCFDIUse validates a CFDI use code, and that it is allowed for the tax
// system when that is given and valid, into v.
func checkCFDIUse(v *Validation, field, code, taxSystem string) {
	e, ok := catalogEntry(CatalogCFDIUses, code)
	switch {
	case !ok:
		v.Add(field, "Not a CFDI use of the SAT catalog c_UsoCFDI, like G03.")
	case taxSystem == "":
	case !slices.Contains(e.TaxSystems, taxSystem):
		if _, known := catalogEntry(CatalogTaxSystems, taxSystem); known {
			v.Add(field, "CFDI use "+code+" is not allowed for tax system "+taxSystem+".")
		}
	}
}

// CheckPaymentForm returns EINVALID naming field unless code is a payment
// form of the SAT catalog c_FormaPago.
func CheckPaymentForm(field, code string) error {
	if _, ok := catalogEntry(CatalogPaymentForms, code); !ok {
		return invalid(field, "Not a payment form of the SAT catalog c_FormaPago, like 01 or 03.")
	}
	return nil
}

var (
	productKeyPattern = regexp.MustCompile(`^[0-9]{8}$`)
	unitKeyPattern    = regexp.MustCompile(`^[A-Z0-9]{1,3}$`)
)

// checkProductKey validates a c_ClaveProdServ key by format: 8 digits, the
// first two a segment (10 to 95), or 01010101.
func checkProductKey(v *Validation, field, key string) {
	if key == "01010101" {
		return
	}
	if !productKeyPattern.MatchString(key) || key[:2] < "10" || key[:2] > "95" {
		v.Add(field, "Not a product key of the SAT catalog c_ClaveProdServ: 8 digits, like 84111506.")
	}
}

// checkUnitKey validates a c_ClaveUnidad key by format.
func checkUnitKey(v *Validation, field, key string) {
	if !unitKeyPattern.MatchString(key) {
		v.Add(field, "Not a unit key of the SAT catalog c_ClaveUnidad: 1 to 3 letters and digits, like E48.")
	}
}
